// lists page behaviour: the filter builder refreshes itself when a field or
// comparison changes, and the bulk form gets "select all" and shows only the
// inputs its action needs. Everything works without this file, only with
// more clicks. No inline scripts: the CSP forbids them.
(function () {
  "use strict";

  var refocus = null; // the name of the control to focus after a swap

  function init(root) {
    root = root || document;
    root.querySelectorAll("[data-fb-refresh]").forEach(function (b) {
      b.hidden = true;
      var hint = b.closest("form").querySelector(".hint");
      if (hint) hint.hidden = true;
    });
    root.querySelectorAll("[data-select-page]").forEach(function (b) { b.hidden = false; });
    root.querySelectorAll("[data-bulk-form]").forEach(function (form) {
      showActionFields(form);
      updateSelection(form);
    });
    if (refocus) {
      var el = document.querySelector('[name="' + CSS.escape(refocus) + '"]');
      refocus = null;
      if (el) el.focus();
    }
  }

  function bulkForm() { return document.querySelector("[data-bulk-form]"); }

  function showActionFields(form) {
    var action = form.querySelector("[data-bulk-action]");
    if (!action) return;
    form.querySelectorAll("[data-bulk-for]").forEach(function (el) {
      el.hidden = el.getAttribute("data-bulk-for").split(" ").indexOf(action.value) < 0;
    });
  }

  function rowChecks() { return document.querySelectorAll("[data-row-check]"); }

  function updateSelection(form) {
    var checks = rowChecks();
    var n = 0;
    checks.forEach(function (c) { if (c.checked) n++; });
    var label = form.querySelector("[data-selected-count]");
    if (label) label.textContent = n ? "(" + n + " selected)" : "";
    var all = document.querySelector("[data-select-page]");
    if (all) {
      all.checked = n > 0 && n === checks.length;
      all.indeterminate = n > 0 && n < checks.length;
    }
    var banner = form.querySelector("[data-select-all-banner]");
    if (banner) banner.hidden = !(all && all.checked);
  }

  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.matches("[data-fb-refresh-on-change]")) {
      var button = t.form && t.form.querySelector("[data-fb-refresh]");
      if (button) {
        refocus = t.name;
        button.click();
      }
      return;
    }
    var form = bulkForm();
    if (!form) return;
    if (t.matches("[data-bulk-action]")) {
      showActionFields(form);
    } else if (t.matches("[data-select-page]")) {
      rowChecks().forEach(function (c) { c.checked = t.checked; });
      form.querySelector("[data-scope-selected]").checked = true;
      updateSelection(form);
    } else if (t.matches("[data-row-check]")) {
      form.querySelector("[data-scope-selected]").checked = true;
      updateSelection(form);
    }
  });

  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-choose-all]");
    if (!b) return;
    var form = bulkForm();
    form.querySelector("[data-scope-all]").checked = true;
    var banner = form.querySelector("[data-select-all-banner]");
    banner.textContent = "Everything matching is selected: " + form.querySelector("[data-all-label]").textContent + ".";
    banner.setAttribute("role", "status");
  });

  // A list that cannot be shown as asked (422), or a view that is gone
  // (404), still replaces the page: its message is the answer.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var elt = e.detail.requestConfig && e.detail.requestConfig.elt;
    var status = e.detail.xhr.status;
    if (elt && elt.closest && elt.closest(".list-page") && (status === 422 || status === 404 || status === 403)) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });

  // The count arrives after the page: name it in the "all" choice.
  document.addEventListener("htmx:afterSettle", function (e) {
    var count = document.getElementById("list-count");
    var label = document.querySelector("[data-all-label]");
    if (count && label && count.dataset.count) {
      label.textContent = "all " + count.textContent + (label.textContent.indexOf("matching") >= 0 ? " matching the filter" : "");
    }
    if (e.target && e.target.id !== "list-count") init(e.target);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();
