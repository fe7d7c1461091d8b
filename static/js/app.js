// Small behaviours of the shared and portal pages, without inline scripts or event handlers
// (the Content-Security-Policy allows scripts from our own origin only; docs/architecture.md,
// "Headers"). Every page works without it; it only saves a click or a double submit.
(function () {
  "use strict";

  // <select data-autosubmit>: choosing an option submits its form (the language switch).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });

  // <button data-confirm="question">: ask before submitting.
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  });

  // <form data-once>: a second tap while the first is on its way sends nothing (the
  // idempotency key makes it harmless anyway).
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      setTimeout(function () { if (button) button.disabled = true; }, 0);
    });
  });

  // <a data-back>: back to the previous page (keeps what was typed in its form).
  document.querySelectorAll("a[data-back]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (window.history.length > 1) {
        event.preventDefault();
        window.history.back();
      }
    });
  });
})();
