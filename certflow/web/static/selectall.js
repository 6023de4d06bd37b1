// "全选" (data-select-all="NAME"): ticks or clears every checkbox named NAME of its form, and follows them:
// ticked when all are, half-ticked when some are.
document.addEventListener('change', (event) => {
  const box = event.target;
  const form = box.form;
  if (!form) return;
  const all = form.querySelector('[data-select-all]');
  if (!all) return;
  const boxes = [...form.querySelectorAll(`input[type=checkbox][name="${all.dataset.selectAll}"]`)];
  if (box === all) {
    boxes.forEach((b) => { b.checked = all.checked; });
  } else if (boxes.includes(box)) {
    const ticked = boxes.filter((b) => b.checked).length;
    all.checked = ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
  }
});
