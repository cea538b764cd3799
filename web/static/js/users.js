// Settings → Users: copy the invitation link shown once, and select it on
// focus so it can be copied by hand too.
(function () {
  "use strict";

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-copy]");
    if (!button) return;
    var field = document.querySelector(button.getAttribute("data-copy"));
    if (!field) return;
    field.focus();
    field.select();
    var done = function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy link"; }, 2000);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        button.textContent = "Press Ctrl+C to copy";
      });
    } else {
      button.textContent = "Press Ctrl+C to copy";
    }
  });

  document.addEventListener("focusin", function (e) {
    if (e.target.matches && e.target.matches("[data-select-on-focus]")) e.target.select();
  });
})();
