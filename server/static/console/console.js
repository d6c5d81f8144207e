// Behaviour every console page shares, so no page needs inline script (the
// Content-Security-Policy allows scripts from the console's own files only):
//  - form[data-confirm]: asks before submitting; "{n}" in the question is
//    replaced by data-confirm-count, or by the number of ticked boxes named
//    data-confirm-boxes inside the form;
//  - select[data-autosubmit]: submits its form when changed;
//  - input[data-check-all=NAME]: ticks or clears every box named NAME.
(function () {
  'use strict';
  document.addEventListener('submit', function (event) {
    const form = event.target;
    const question = form.getAttribute && form.getAttribute('data-confirm');
    if (!question) return;
    let count = form.getAttribute('data-confirm-count');
    const boxes = form.getAttribute('data-confirm-boxes');
    if (boxes) count = form.querySelectorAll('input[name="' + boxes + '"]:checked').length;
    if (!window.confirm(question.replace('{n}', count === null ? '' : String(count)))) {
      event.preventDefault();
    }
  });
  document.addEventListener('change', function (event) {
    const target = event.target;
    if (target.matches('select[data-autosubmit]') && target.form) target.form.submit();
    const name = target.getAttribute('data-check-all');
    if (name) {
      document.querySelectorAll('input[name="' + name + '"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
  });
}());
