// Order and deal-product forms: "Add a line" copies the last row with its
// inputs emptied; a select marked data-autosubmit submits its form.
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("[data-add-line]");
    if (!btn) return;
    var form = btn.closest("form");
    var body = form && form.querySelector("[data-lines]");
    var rows = body ? body.querySelectorAll("[data-line]") : [];
    if (!rows.length) return;
    var copy = rows[rows.length - 1].cloneNode(true);
    var n = rows.length + 1;
    copy.querySelectorAll(".field-error").forEach(function (p) { p.remove(); });
    copy.querySelectorAll("input, select").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      if (el.tagName === "SELECT") el.selectedIndex = 0;
      else el.value = el.name === "quantity" ? "1" : "";
      var label = el.getAttribute("aria-label");
      if (label) el.setAttribute("aria-label", label.replace(/\d+$/, String(n)));
    });
    body.appendChild(copy);
    var first = copy.querySelector("select, input");
    if (first) first.focus();
  });
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("select[data-autosubmit]") && e.target.form) e.target.form.requestSubmit();
  });
})();
