// Imports: the upload shows how much of the file has been sent. Without
// JavaScript the form posts as usual; the server's answer is the same.
(function () {
  "use strict";

  function size(n) {
    if (n < 1024) return n + " bytes";
    if (n < 1048576) return (n / 1024).toFixed(1) + " KB";
    if (n < 1073741824) return (n / 1048576).toFixed(1) + " MB";
    return (n / 1073741824).toFixed(2) + " GB";
  }

  // showAnswer puts the main part of an HTML answer (the form again, with
  // its message) in place of the current one.
  function showAnswer(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var from = doc.getElementById("main");
    var to = document.getElementById("main");
    if (!from || !to) {
      document.open();
      document.write(html);
      document.close();
      return;
    }
    to.innerHTML = from.innerHTML;
    if (window.htmx) window.htmx.process(to);
    var err = to.querySelector(".field-error, .form-summary");
    if (err) {
      err.setAttribute("tabindex", "-1");
      err.focus();
    }
  }

  document.addEventListener("submit", function (e) {
    var form = e.target.closest("form[data-import-upload]");
    if (!form || !window.FormData || !window.XMLHttpRequest) return;
    var input = form.querySelector("[data-import-file]");
    var file = input && input.files && input.files[0];
    if (!file) return; // the server says what is missing
    e.preventDefault();
    var box = form.querySelector("[data-upload-progress]");
    var bar = form.querySelector("[data-upload-bar]");
    var status = form.querySelector("[data-upload-status]");
    var button = form.querySelector("[data-upload-submit]");
    box.hidden = false;
    var max = Number(input.getAttribute("data-max-bytes"));
    if (max && file.size > max) {
      // Refused here, before sending a byte; the server would say the same.
      bar.hidden = true;
      status.textContent = "The file is larger than " + input.getAttribute("data-max-size") +
        ", the most one import takes. Split it into smaller files.";
      return;
    }
    bar.hidden = false;
    button.disabled = true;
    status.textContent = "Sending " + file.name + " (" + size(file.size) + ")…";
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (ev) {
      if (!ev.lengthComputable) return;
      var pct = Math.floor((ev.loaded * 100) / ev.total);
      bar.value = pct;
      status.textContent = pct >= 100
        ? "Sent. Reading the file…"
        : "Sending " + file.name + ": " + pct + "% of " + size(file.size);
    });
    xhr.addEventListener("load", function () {
      var to = new URL(xhr.responseURL || form.action, location.href);
      if (xhr.status < 300 && to.pathname !== new URL(form.action, location.href).pathname) {
        location.assign(to.href);
        return;
      }
      showAnswer(xhr.responseText);
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      status.textContent = "The upload was cut off. Check the connection and send the file again.";
    });
    xhr.send(new FormData(form));
  });
})();
