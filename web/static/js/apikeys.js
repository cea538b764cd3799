// Settings → API keys: the Copy button beside a new key's secret copies
// it to the clipboard (falling back to selecting it for Ctrl+C) and says
// what happened.
(function () {
  "use strict";

  function say(box, msg) {
    var status = box && box.querySelector("[data-copy-status]");
    if (status) status.textContent = msg;
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("button[data-copy]");
    if (!button) return;
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) return;
    var box = button.closest("[data-key-secret]");
    input.focus();
    input.select();
    function copied() {
      button.textContent = "Copied";
      say(box, "The key is on your clipboard. Store it somewhere safe now.");
    }
    function selectOnly() {
      say(box, "Copying was not allowed here: the key is selected, press Ctrl+C (⌘C) to copy it.");
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(input.value).then(copied, function () {
        try { if (document.execCommand("copy")) { copied(); return; } } catch (err) { /* fall through */ }
        selectOnly();
      });
      return;
    }
    try { if (document.execCommand("copy")) { copied(); return; } } catch (err) { /* fall through */ }
    selectOnly();
  });
})();
