// The form editor: the preview follows the JSON Schema as it is typed (rendered on the server by the inbox's
// macros), and clicking a problem puts the cursor on its line.
(function () {
  const schema = document.getElementById("schema");
  const preview = document.getElementById("preview");
  if (!schema || !preview) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  let timer = null;
  let asked = 0;

  async function refresh() {
    const number = ++asked;
    const body = new FormData();
    body.append("schema", schema.value);
    const response = await fetch(schema.dataset.preview, {
      method: "POST", body, headers: { "X-CSRFToken": csrf }, credentials: "same-origin",
    });
    if (number === asked) preview.innerHTML = await response.text();  // an older answer must not win
  }

  schema.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });

  preview.addEventListener("click", (event) => {
    const item = event.target.closest("[data-line]");
    if (!item || !item.dataset.line) return;
    const lines = schema.value.split("\n");
    const line = Math.min(Number(item.dataset.line), lines.length) - 1;
    const start = lines.slice(0, line).reduce((sum, text) => sum + text.length + 1, 0);
    schema.focus();
    schema.setSelectionRange(start, start + lines[line].length);
  });
})();
