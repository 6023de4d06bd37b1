// Task forms (templates/macros/form.html): shows a conditional field only while its condition holds, and adds
// and removes rows of a list of objects in the page. A hidden field's inputs are disabled, so they are not
// posted. Without this script every field shows (with its condition in words) and the row buttons post the
// form to the server, which draws it again; either way the server checks everything.
(function () {
  "use strict";
  // After a refused submit the summary of what to change takes the focus: a screen reader reads it, and its
  // links lead to the fields.
  var summary = document.getElementById("form-errors");
  if (summary) {
    summary.focus();
  }
  var forms = Array.prototype.filter.call(document.querySelectorAll("form"), function (form) {
    return form.querySelector("[data-show-when], [data-rows]");
  });

  function values(form, name) {
    return Array.prototype.filter.call(form.querySelectorAll("input, select, textarea"), function (input) {
      return input.name === name && !input.disabled && (!/^(radio|checkbox)$/.test(input.type) || input.checked);
    }).map(function (input) {
      return input.value.trim();
    }).filter(function (value) {
      return value !== "";
    });
  }

  // A condition is {all: [{field, in} or {field, filled}], not}; a field applies when any of its conditions holds.
  function holds(form, condition) {
    var all = condition.all.every(function (test) {
      var found = values(form, test.field);
      if (test.filled) {
        return found.length > 0;
      }
      return found.some(function (value) {
        return test.in.indexOf(value) >= 0;
      });
    });
    return condition.not ? !all : all;
  }

  function update(form) {
    // In the page's order, so a field inside a hidden one is judged after its container.
    form.querySelectorAll("[data-show-when]").forEach(function (field) {
      var conditions = JSON.parse(field.getAttribute("data-show-when"));
      field.hidden = !conditions.some(function (condition) {
        return holds(form, condition);
      });
      field.querySelectorAll("input, select, textarea, button").forEach(function (input) {
        input.disabled = input.closest("[hidden]") !== null;
      });
    });
  }

  function addRow(form, button) {
    var name = button.getAttribute("data-add-row");
    var rows = form.querySelector('[data-rows="' + name + '"]');
    var blank = form.querySelector('template[data-blank-row="' + name + '"]');
    var number = Number(rows.getAttribute("data-next"));
    rows.setAttribute("data-next", String(number + 1));
    // The blank row is numbered __i__ in names, ids and conditions alike; the server numbers rows again from 0.
    rows.insertAdjacentHTML("beforeend", blank.innerHTML.split("__i__").join(String(number)));
    var row = rows.lastElementChild;
    row.querySelector(".row-title").textContent = "新的一项";
    prepare(row);
    update(form);
    var first = row.querySelector("input:not([type=hidden]), select, textarea");
    if (first) {
      first.focus();
    }
  }

  function prepare(scope) {
    // In the page the row buttons act at once; they post the form only without this script.
    scope.querySelectorAll("[data-add-row], [data-remove-row]").forEach(function (button) {
      button.type = "button";
    });
  }

  forms.forEach(function (form) {
    prepare(form);
    form.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) {
        return;
      }
      if (button.hasAttribute("data-add-row")) {
        addRow(form, button);
      } else if (button.hasAttribute("data-remove-row")) {
        button.closest(".row").remove();
        update(form);
      }
    });
    form.addEventListener("change", function () {
      update(form);
    });
    form.addEventListener("input", function () {
      update(form);
    });
    update(form);
  });
})();
