// "My tasks": j/k move between tasks, x completes (or reopens) the focused
// one; the board keeps focus in place after htmx redraws it. The task
// form's link picker fills the contact or company id. The browser's time
// zone becomes the user's, so "today" is their today.
(function () {
  "use strict";

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#task-board [data-task]"));
  }

  // Index of the row to focus after the board is redrawn, or -1.
  var refocus = -1;

  document.addEventListener("keydown", function (e) {
    if (!document.getElementById("task-board")) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t.closest && t.closest("input, textarea, select, [contenteditable]")) return;
    if (e.key !== "j" && e.key !== "k" && e.key !== "x") return;
    var list = rows();
    if (!list.length) return;
    var current = t.closest ? t.closest("[data-task]") : null;
    var i = list.indexOf(current);
    if (e.key === "x") {
      if (!current) return;
      e.preventDefault();
      var toggle = current.querySelector("[data-task-toggle]");
      if (!toggle) return;
      refocus = i;
      // htmx.ajax rather than a synthetic click: it does not depend on
      // the freshly swapped board having been processed yet.
      if (window.htmx) {
        window.htmx.ajax("POST", toggle.getAttribute("hx-post"), { source: toggle, target: "#task-board", swap: "outerHTML" });
      } else {
        toggle.form.submit();
      }
      return;
    }
    e.preventDefault();
    var n = i < 0 ? 0 : (e.key === "j" ? Math.min(i + 1, list.length - 1) : Math.max(i - 1, 0));
    list[n].focus();
  });

  document.addEventListener("click", function (e) {
    var toggle = e.target.closest("[data-task-toggle]");
    if (toggle) {
      refocus = rows().indexOf(toggle.closest("[data-task]"));
      return;
    }
    var pick = e.target.closest("[data-link-kind]");
    if (!pick) return;
    var kind = pick.getAttribute("data-link-kind");
    var field = document.querySelector('[data-link-field="' + kind + '"]');
    var name = document.getElementById("task-" + kind + "-name");
    var hint = document.querySelector('[data-link-name="' + kind + '"]');
    if (!field) return;
    field.value = pick.getAttribute("data-link-id");
    if (name) name.value = pick.getAttribute("data-link-name");
    if (hint) hint.textContent = pick.getAttribute("data-link-name");
    var list = document.getElementById("task-link-suggestions");
    if (list) list.innerHTML = "";
    var q = document.getElementById("task-link-q");
    if (q) { q.value = ""; q.focus(); }
  });

  document.addEventListener("htmx:afterSwap", function (e) {
    if (!e.detail || !e.detail.target || e.detail.target.id !== "task-board") return;
    var board = document.getElementById("task-board");
    var list = rows();
    if (refocus >= 0 && list.length) {
      list[Math.min(refocus, list.length - 1)].focus();
    } else if (board) {
      board.focus();
    }
    refocus = -1;
  });

  function syncZone() {
    var board = document.getElementById("task-board");
    var form = document.querySelector("[data-tz-form]");
    if (!board || !form || !window.Intl) return;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone || zone === board.getAttribute("data-zone")) return;
    try {
      if (sessionStorage.getItem("rapport-tz") === zone) return;
      sessionStorage.setItem("rapport-tz", zone);
    } catch (err) {
      return;
    }
    form.elements.time_zone.value = zone;
    form.submit();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", syncZone);
  } else {
    syncZone();
  }
})();
