// pseudoprog: a little progressive enhancement; every page works without it.
"use strict";
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
// Keyboard: "/" focuses the patient filter of the worklist.
document.addEventListener("keydown", (event) => {
  const target = event.target;
  const typing = target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement;
  if (event.key === "/" && !typing) {
    const box = document.querySelector('input[name="patient"]');
    if (box) { event.preventDefault(); box.focus(); }
  }
});
