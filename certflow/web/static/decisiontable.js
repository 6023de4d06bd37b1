// The decision table editor: add a row (a copy of the empty last row) and remove one; saving happens on the server.
(function () {
  const rules = document.getElementById("rules");
  const add = document.getElementById("add-rule");
  if (!rules || !add) return;

  function renumber() {
    rules.querySelectorAll("tr.rule").forEach((row, index) => {
      row.querySelector("td.n").lastChild.textContent = String(index + 1);
    });
  }

  add.addEventListener("click", () => {
    const rows = rules.querySelectorAll("tr.rule");
    const copy = rows[rows.length - 1].cloneNode(true);
    copy.querySelectorAll("input").forEach((input) => { input.value = ""; });
    rules.appendChild(copy);
    renumber();
    copy.querySelector("input:not([type=hidden])").focus();
  });

  rules.addEventListener("click", (event) => {
    const button = event.target.closest(".remove-rule");
    if (!button) return;
    const row = button.closest("tr");
    if (rules.querySelectorAll("tr.rule").length > 1) row.remove();
    else row.querySelectorAll("input").forEach((input) => { input.value = ""; });
    renumber();
  });
})();
