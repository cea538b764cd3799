// Record pages: contact and company forms, the log panel, the timeline and
// Settings → Custom fields. No inline scripts: the CSP forbids them. Every
// form here also works without this file; it only makes them quicker.
(function () {
  "use strict";

  // Focus the first field a form was sent back for, so keyboard and
  // screen-reader users land on what to fix.
  function focusInvalid(root) {
    var el = root.querySelector('[data-focus-invalid] [aria-invalid="true"]') ||
      (root.matches && root.matches("[data-focus-invalid]") && root.querySelector('[aria-invalid="true"]'));
    if (!el) return false;
    if (el.tagName === "FIELDSET") el = el.querySelector("input, select, textarea") || el;
    el.focus();
    return true;
  }

  // htmx leaves 4xx answers unswapped; a 422 or 409 from a record form
  // carries the form with its messages, so show it.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var status = e.detail.xhr.status;
    var elt = (e.detail.requestConfig && e.detail.requestConfig.elt) || e.detail.elt;
    if ((status === 422 || status === 409) && elt && elt.closest && elt.closest("[data-swap-errors]")) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });

  // New content from htmx: after logging an activity, focus the first
  // invalid field or, when it was saved, the open form's first field.
  document.addEventListener("htmx:load", function (e) {
    var el = e.detail.elt;
    if (!el || el.id !== "log-activity") return;
    if (focusInvalid(el)) return;
    var first = el.querySelector(".log-form:not([hidden]) textarea, .log-form:not([hidden]) select, .log-form:not([hidden]) input:not([type=hidden])");
    if (first) first.focus();
  });

  // --- The log panel's tabs ---------------------------------------------
  function selectTab(tab, focus) {
    var panel = tab.closest("#log-activity");
    if (!panel) return;
    panel.querySelectorAll("[data-log-tab]").forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      var form = document.getElementById(t.getAttribute("aria-controls"));
      if (form) form.hidden = !on;
    });
    if (focus) tab.focus();
  }

  function onTabKey(e, tab) {
    var tabs = Array.prototype.slice.call(tab.parentNode.querySelectorAll("[data-log-tab]"));
    var i = tabs.indexOf(tab), next = -1;
    if (e.key === "ArrowRight") next = (i + 1) % tabs.length;
    if (e.key === "ArrowLeft") next = (i - 1 + tabs.length) % tabs.length;
    if (e.key === "Home") next = 0;
    if (e.key === "End") next = tabs.length - 1;
    if (next >= 0) {
      e.preventDefault();
      selectTab(tabs[next], true);
    }
  }

  // --- Repeated rows: emails, phones, companies ---------------------------
  var rowCount = 0;

  function addRow(button) {
    var group = button.closest("[data-rows]");
    var tpl = group && group.querySelector("template[data-row-template]");
    var list = group && group.querySelector("[data-row-list]");
    if (!tpl || !list) return;
    var row = tpl.content.firstElementChild.cloneNode(true);
    rowCount++;
    row.querySelectorAll("[data-id]").forEach(function (el) { el.id = el.getAttribute("data-id") + "-new" + rowCount; });
    row.querySelectorAll("[data-for]").forEach(function (el) { el.htmlFor = el.getAttribute("data-for") + "-new" + rowCount; });
    list.appendChild(row);
    if (window.htmx) window.htmx.process(row);
    var input = row.querySelector("input:not([type=hidden])");
    if (input) input.focus();
  }

  function removeRow(button) {
    var row = button.closest("[data-row]");
    var list = row && row.parentNode;
    if (!row || !list) return;
    var rows = list.querySelectorAll("[data-row]");
    if (rows.length <= 1) {
      row.querySelectorAll("input").forEach(function (i) { i.value = ""; });
      var only = row.querySelector("input:not([type=hidden])");
      if (only) only.focus();
      return;
    }
    var next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    var focus = next && next.querySelector("input:not([type=hidden])");
    if (focus) focus.focus();
  }

  // --- Suggestions ---------------------------------------------------------
  function listOf(el) {
    var box = el.closest(".suggest-box");
    return box && box.querySelector(".suggestions");
  }

  function clearList(list) {
    if (list) list.innerHTML = "";
  }

  function pickCompany(button) {
    var box = button.closest(".suggest-box");
    var id = box.querySelector("[data-company-id]");
    var input = box.querySelector("[data-company-input]");
    id.value = button.getAttribute("data-company-id");
    input.value = button.getAttribute("data-company-name");
    clearList(listOf(button));
    input.focus();
  }

  function pickTag(button) {
    var input = document.getElementById("tags");
    if (!input) return;
    var parts = input.value.split(",");
    parts[parts.length - 1] = button.getAttribute("data-tag");
    input.value = parts.map(function (p) { return p.trim(); }).filter(Boolean).join(", ") + ", ";
    clearList(listOf(button));
    input.focus();
  }

  function moveInList(e, from) {
    var list = listOf(from);
    if (!list) return;
    var items = Array.prototype.slice.call(list.querySelectorAll(".suggestion"));
    if (e.key === "Escape") {
      if (!items.length) return;
      e.preventDefault();
      clearList(list);
      var input = list.closest(".suggest-box").querySelector("input:not([type=hidden])");
      if (input) input.focus();
      return;
    }
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    if (!items.length) return;
    e.preventDefault();
    var i = items.indexOf(from);
    var next = e.key === "ArrowDown" ? i + 1 : i - 1;
    if (next < 0) {
      list.closest(".suggest-box").querySelector("input:not([type=hidden])").focus();
      return;
    }
    items[Math.min(next, items.length - 1)].focus();
  }

  // --- Settings: a custom field's key follows its label -------------------
  function keyFromLabel(label) {
    var k = label.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
    if (/^[0-9]/.test(k)) k = "f_" + k;
    return k.slice(0, 63).replace(/_+$/, "");
  }

  function showForType(form) {
    var type = form.querySelector("[data-field-type]");
    if (!type) return;
    form.querySelectorAll("[data-show-for]").forEach(function (el) {
      var wanted = el.getAttribute("data-show-for").split(" ");
      el.hidden = wanted.indexOf(type.value) < 0 && !el.querySelector('[aria-invalid="true"]');
    });
  }

  // --- Wiring ----------------------------------------------------------------
  document.addEventListener("click", function (e) {
    var t = e.target;
    var el;
    if ((el = t.closest("[data-log-tab]"))) {
      e.preventDefault();
      selectTab(el, false);
    } else if ((el = t.closest("[data-add-row]"))) {
      addRow(el);
    } else if ((el = t.closest("[data-remove-row]"))) {
      removeRow(el);
    } else if ((el = t.closest(".suggestion[data-company-id]"))) {
      pickCompany(el);
    } else if ((el = t.closest(".suggestion[data-tag]"))) {
      pickTag(el);
    } else if (!t.closest(".suggest-box")) {
      document.querySelectorAll(".suggestions").forEach(clearList);
    }
  });

  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (!t.closest) return;
    if (t.closest("[data-log-tab]")) onTabKey(e, t.closest("[data-log-tab]"));
    else if (t.matches(".suggestion, [data-company-input], [data-tags-input]")) moveInList(e, t);
  });

  document.addEventListener("input", function (e) {
    var t = e.target;
    if (t.matches && t.matches("[data-company-input]")) {
      // A changed name no longer names the company picked before.
      var id = t.closest(".suggest-box").querySelector("[data-company-id]");
      if (id) id.value = "";
    }
    if (t.matches && t.matches("[data-field-label]")) {
      var key = t.form.querySelector("[data-field-key]");
      if (key && (key.value === "" || key.getAttribute("data-auto") === "true")) {
        key.value = keyFromLabel(t.value);
        key.setAttribute("data-auto", "true");
      }
    }
    if (t.matches && t.matches("[data-field-key]")) t.removeAttribute("data-auto");
  });

  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("[data-field-type]")) showForType(e.target.form);
  });

  function init() {
    document.querySelectorAll("[data-add-row]").forEach(function (b) { b.hidden = false; });
    document.querySelectorAll("form[data-field-form]").forEach(showForType);
    focusInvalid(document);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
