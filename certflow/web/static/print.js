// "打印" buttons (data-print): a file, not javascript: links, so that the pages' Content-Security-Policy
// can refuse every inline script.
document.addEventListener('click', (event) => {
  if (event.target.closest('[data-print]')) window.print();
});
