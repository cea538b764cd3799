// Global search palette (Ctrl+K, Cmd+K or "/") and the merge page's
// defaults. No inline scripts: the CSP forbids them.
(function () {
  "use strict";

  var returnFocus = null;

  function dialog() { return document.getElementById("palette"); }
  function input() { return document.getElementById("palette-input"); }
  function options() {
    var d = dialog();
    return d ? Array.prototype.slice.call(d.querySelectorAll('[role="option"]')) : [];
  }
  function isMac() { return /Mac|iPhone|iPad|iPod/.test(navigator.platform || navigator.userAgent); }

  // Typing "/" in a field types a slash; only elsewhere does it open search.
  function typing(el) {
    if (!el || !el.tagName) return false;
    if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    if (el.tagName !== "INPUT") return false;
    return !/^(checkbox|radio|button|submit|reset|file|range|color|image)$/.test(el.type);
  }

  function open() {
    var d = dialog();
    if (!d || d.open) return;
    returnFocus = document.activeElement;
    d.showModal();
    var i = input();
    i.focus();
    i.select();
    leaving = false;
    refresh(true);
  }

  function close() {
    var d = dialog();
    if (d && d.open) d.close();
  }

  function active() {
    var opts = options();
    for (var i = 0; i < opts.length; i++) {
      if (opts[i].getAttribute("aria-selected") === "true") return i;
    }
    return -1;
  }

  function setActive(n) {
    var opts = options();
    var i = input();
    opts.forEach(function (o, j) { o.setAttribute("aria-selected", j === n ? "true" : "false"); });
    if (n >= 0 && opts[n]) {
      i.setAttribute("aria-activedescendant", opts[n].id);
      opts[n].scrollIntoView({ block: "nearest" });
    } else {
      i.removeAttribute("aria-activedescendant");
    }
  }

  // refresh makes the input, the first result and the live region agree
  // with what the results area now shows.
  function refresh(quiet) {
    var i = input();
    var opts = options();
    i.setAttribute("aria-expanded", opts.length ? "true" : "false");
    setActive(opts.length ? 0 : -1);
    if (quiet) return;
    var status = document.getElementById("palette-status");
    var empty = document.querySelector("#palette-results .search-empty");
    if (status) {
      status.textContent = empty ? empty.textContent :
        opts.length ? opts.length + (opts.length === 1 ? " result" : " results") : "";
    }
  }

  function trapTab(e) {
    var d = dialog();
    var f = Array.prototype.filter.call(
      d.querySelectorAll('input, button, a[href]:not([tabindex="-1"])'),
      function (el) { return !el.disabled && el.offsetParent !== null; });
    if (!f.length) return;
    var first = f[0], last = f[f.length - 1];
    if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
  }

  function onDialogKey(e) {
    var opts, n;
    switch (e.key) {
    case "Escape":
      e.preventDefault();
      close();
      return;
    case "Tab":
      trapTab(e);
      return;
    }
    if (e.target !== input()) return;
    opts = options();
    n = active();
    if (e.key === "ArrowDown" && opts.length) {
      e.preventDefault();
      setActive(n + 1 < opts.length ? n + 1 : 0);
    } else if (e.key === "ArrowUp" && opts.length) {
      e.preventDefault();
      setActive(n > 0 ? n - 1 : opts.length - 1);
    } else if (e.key === "Enter" && n >= 0 && !e.isComposing) {
      e.preventDefault();
      go();
    }
  }

  // go opens the active result; without one the form goes to the search page.
  var leaving = false;
  function go() {
    var n = active();
    if (n < 0) return false;
    if (!leaving) window.location.assign(options()[n].href);
    leaving = true;
    return true;
  }

  function setupPalette() {
    var d = dialog();
    if (!d) return;
    if (isMac()) {
      document.querySelectorAll("[data-palette-key]").forEach(function (k) { k.textContent = "⌘K"; });
    }
    d.addEventListener("keydown", onDialogKey);
    d.querySelector("form").addEventListener("submit", function (e) {
      if (go()) e.preventDefault();
    });
    d.addEventListener("close", function () {
      var to = returnFocus;
      returnFocus = null;
      if (to && typeof to.focus === "function" && document.contains(to)) to.focus();
    });
    // A click on the backdrop (the dialog box itself, outside the panel) closes.
    d.addEventListener("click", function (e) {
      if (e.target === d || e.target.closest("[data-palette-close]")) close();
    });
    d.addEventListener("mousemove", function (e) {
      var o = e.target.closest('[role="option"]');
      if (o) setActive(options().indexOf(o));
    });
    document.body.addEventListener("htmx:afterSwap", function (e) {
      if (e.detail && e.detail.target && e.detail.target.id === "palette-results") refresh(false);
    });
  }

  document.addEventListener("keydown", function (e) {
    var d = dialog();
    if (!d) return;
    if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && (e.key === "k" || e.key === "K")) {
      e.preventDefault();
      if (d.open) close(); else open();
    } else if (e.key === "/" && !d.open && !e.ctrlKey && !e.metaKey && !e.altKey && !typing(e.target)) {
      e.preventDefault();
      open();
    }
  });

  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("[data-palette-open]");
    if (!link || !dialog() || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    open();
  });

  // Merge page: choosing another record to keep moves every field the user
  // has not picked by hand to that record's value, when it has one.
  function setupMerge() {
    var form = document.querySelector("[data-merge-form]");
    if (!form) return;
    form.addEventListener("change", function (e) {
      var t = e.target;
      if (t.name !== "survivor") {
        var row = t.closest("[data-merge-row]");
        if (row) row.setAttribute("data-touched", "true");
        return;
      }
      form.querySelectorAll("[data-merge-row]:not([data-touched])").forEach(function (row) {
        var pick = row.querySelector('input[data-record="' + t.value + '"]');
        if (pick && pick.getAttribute("data-empty") !== "true") pick.checked = true;
      });
    });
  }

  setupPalette();
  setupMerge();
})();
