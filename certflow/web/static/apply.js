// The application form: marks the materials a case needs as category, parts and ID number are filled in,
// shows the parts only for a multiple disability, the guardian's fields only when a guardian acts (a minor,
// 智力 or 精神: when the guardian's proof is needed), and stars the address when the certificate is posted.
// It narrows the townships to the county chosen and the villages to the township, says beside the ID number
// and phone fields what is wrong as soon as they are left, and moves the focus to the first error. Online, each
// file is uploaded as it is picked (portal.upload_draft) and listed with its thumbnail; the form then posts its
// token, so the file survives a page that comes back with errors. Without the script the file inputs post as ever.
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

  // Each list keeps the groups (optgroup data-parent) of the choice above it; a choice that no longer fits is
  // cleared. The groups are kept aside once, since phones do not hide options reliably.
  function cascade(parentName, childName) {
    var parent = form.elements[parentName], child = form.elements[childName];
    if (!parent || !child) {
      return function () {};
    }
    var groups = Array.prototype.slice.call(child.querySelectorAll("optgroup"));
    return function () {
      var chosen = child.value;
      groups.forEach(function (group) {
        if (group.parentNode) {
          child.removeChild(group);
        }
      });
      groups.forEach(function (group) {
        if (group.getAttribute("data-parent") === parent.value) {
          child.appendChild(group);
        }
      });
      child.value = chosen;
      if (child.value !== chosen) {
        child.value = "";
      }
    };
  }
  var narrowTownships = cascade("place_county", "place_township");
  var narrowVillages = cascade("place_township", "village");
  function narrow() {
    narrowTownships();
    narrowVillages();
  }

  // ISO 7064 MOD 11-2, as GB 11643 and the server (certflow/engine/residentid.py) check it.
  function idProblem(text) {
    var id = text.trim().toUpperCase();
    if (id.length !== 18) {
      return "身份证号码应为18位";
    }
    if (!/^\d{17}[\dX]$/.test(id)) {
      return "身份证号码格式错误：前17位应为数字，最后一位为数字或X";
    }
    var weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], sum = 0;
    for (var i = 0; i < 17; i += 1) {
      sum += Number(id.charAt(i)) * weights[i];
    }
    return "10X98765432".charAt(sum % 11) === id.charAt(17) ? "" : "身份证号码校验位错误，请逐位核对";
  }
  function phoneProblem(text) {
    return /^1\d{10}$/.test(text.trim()) ? "" : "手机号码应为以1开头的11位数字";
  }
  var checks = {id_number: idProblem, guardian_id_number: idProblem, phone: phoneProblem, guardian_phone: phoneProblem};

  // The message beside the field, as the server would put it there, or none; an empty field waits for the
  // server's 必填. Returns the message.
  function mark(input) {
    var check = checks[input.name];
    if (!check || !field(input.name)) {
      return "";
    }
    var message = input.value.trim() ? check(input.value) : "";
    say(input, message);
    if (message) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", input.name + "-error");
    } else {
      input.removeAttribute("aria-invalid");
    }
    return message;
  }

  function focusOn(box) {
    var input = box && box.querySelector("input, select, textarea");
    if (input) {
      input.focus();
      box.scrollIntoView({block: "center"});
    }
  }

  var drafts = form.getAttribute("data-drafts");

  // The message beside an input (none: hidden), where the server would put it.
  function say(input, message) {
    var box = input.closest(".field");
    var note = box.querySelector(".field-error");
    if (!note) {
      note = document.createElement("p");
      note.className = "field-error";
      note.id = input.name + "-error";
      box.insertBefore(note, box.querySelector(".kept"));
    }
    note.textContent = message;
    note.hidden = !message;
    box.classList.toggle("has-error", Boolean(message));
  }

  function keep(input, answer) {
    var item = document.createElement("li");
    if (answer.thumbnail) {
      var image = document.createElement("img");
      image.src = answer.thumbnail;
      image.alt = "";
      image.width = image.height = 64;
      item.appendChild(image);
    }
    var name = document.createElement("span");
    name.textContent = answer.filename;
    var token = document.createElement("input");
    token.type = "hidden";
    token.name = "uploaded";
    token.value = answer.id;
    item.appendChild(name);
    item.appendChild(token);
    form.querySelector('.kept[data-kept="' + input.name + '"]').appendChild(item);
  }

  function uploadPicked(input) {
    var files = Array.prototype.slice.call(input.files);
    var problems = [];
    Promise.all(files.map(function (file) {
      var body = new FormData();
      body.append("csrf_token", form.elements.csrf_token.value);
      body.append("material", input.name);
      body.append(input.name, file);
      return fetch(drafts, {method: "POST", body: body, credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (response) {
          return response.json().then(function (answer) {
            if (response.ok) {
              keep(input, answer);
            } else {
              problems.push(answer.error);
            }
          });
        })
        .catch(function () {
          problems.push(file.name + "：上传失败，请检查网络后重新选择");
        });
    })).then(function () {
      input.value = ""; // sent already: the form posts the tokens instead
      say(input, problems.join("；"));
      update();
    });
  }

  form.addEventListener("change", function (event) {
    if (drafts && event.target.type === "file" && event.target.files.length) {
      uploadPicked(event.target);
      return;
    }
    if (event.target.name === "place_county" || event.target.name === "place_township") {
      narrow();
    }
    mark(event.target); // on leaving a field whose value changed
    update();
  });
  form.addEventListener("submit", function (event) {
    var wrong = Object.keys(checks).map(function (name) {
      return form.elements[name];
    }).filter(function (input) {
      return input && !input.closest("[hidden]") && mark(input);
    });
    if (wrong.length) {
      event.preventDefault(); // what is already known to be wrong is fixed before anything is sent
      focusOn(field(wrong[0].name));
    }
  });
  form.addEventListener("input", function (event) {
    if (event.target.name === "id_number") {
      update();
    }
  });
  narrow();
  update();
  // After the server refused the form: the first field it marked (not one of a hidden part) gets the focus.
  focusOn(Array.prototype.filter.call(form.querySelectorAll(".has-error"), function (box) {
    return !box.closest("[hidden]");
  })[0]);
})();
