// The application form: marks the materials a case needs as category, parts and ID number are filled in,
// shows the parts only for a multiple disability, the guardian's fields only when a guardian acts (a minor,
// 智力 or 精神: when the guardian's proof is needed), and stars the address when the certificate is posted.
// Only hints: the server checks every rule again (templates/portal/apply.html, certflow/web/applying.py).
(function () {
  "use strict";
  var form = document.getElementById("application");
  var table = document.getElementById("materials-rules");
  if (!form || !table) {
    return;
  }
  var rules = JSON.parse(table.textContent);
  var needed = document.getElementById("materials-needed");

  function field(name) {
    return form.querySelector('.field[data-field="' + name + '"]');
  }

  function value(name) {
    var input = form.elements[name];
    return input ? input.value : "";
  }

  function checked(name) {
    return Array.prototype.filter.call(form.querySelectorAll('input[name="' + name + '"]'), function (box) {
      return box.checked;
    }).map(function (box) {
      return box.value;
    });
  }

  // Age in full years from the birth date in digits 7-14 of the ID number; null until it can be read.
  function isMinor(idNumber) {
    var match = /^\d{6}(\d{4})(\d{2})(\d{2})/.exec(idNumber.trim());
    if (!match) {
      return null;
    }
    var year = Number(match[1]), month = Number(match[2]) - 1, day = Number(match[3]);
    var birth = new Date(year, month, day);
    if (birth.getFullYear() !== year || birth.getMonth() !== month || birth.getDate() !== day) {
      return null;
    }
    var today = new Date();
    var beforeBirthday = today.getMonth() < month || (today.getMonth() === month && today.getDate() < day);
    return today.getFullYear() - year - (beforeBirthday ? 1 : 0) < rules.adult_age;
  }

  function show(element, visible) {
    if (element) {
      element.hidden = !visible;
    }
  }

  function update() {
    var category = value("category");
    var multiple = category === "多重";
    var parts = field("parts");
    show(parts, multiple);
    if (parts) {
      parts.querySelector("fieldset").disabled = !multiple; // stale ticks are not sent for another category
    }
    var address = field("address");
    show(address && address.querySelector(".req"), value("delivery") === "post");

    var minor = isMinor(value("id_number"));
    var age = minor ? "minor" : "adult";
    var categories = [category].concat(multiple ? checked("parts") : []);
    var codes = rules.base[age].slice();
    categories.forEach(function (name) {
      (rules.required[name] ? rules.required[name][age] : []).forEach(function (code) {
        if (codes.indexOf(code) < 0) {
          codes.push(code);
        }
      });
    });
    var guardian = codes.indexOf("guardian_proof") >= 0;
    ["guardian_name", "guardian_relation", "guardian_id_number", "guardian_phone"].forEach(function (name) {
      show(field(name), guardian);
    });
    Array.prototype.forEach.call(form.querySelectorAll(".field-upload[data-material]"), function (upload) {
      show(upload.querySelector(".req"), codes.indexOf(upload.getAttribute("data-material")) >= 0);
    });
    if (needed) {
      needed.textContent = "需要提交的材料：" + codes.map(function (code) {
        return rules.names[code];
      }).join("、") + (minor ? "（申请人未满" + rules.adult_age + "周岁）" : "");
      needed.hidden = false;
    }
  }

  form.addEventListener("change", update);
  form.addEventListener("input", function (event) {
    if (event.target.name === "id_number") {
      update();
    }
  });
  update();
})();
