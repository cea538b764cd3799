// Rapport's page behaviour. No inline scripts: the CSP forbids them.
(function () {
  "use strict";

  // The phone-sized navigation drawer.
  function setMenu(open) {
    var button = document.querySelector("[data-menu-toggle]");
    var nav = document.getElementById("nav");
    if (!button || !nav) return;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("open", open);
    if (open) {
      var first = nav.querySelector("a");
      if (first) first.focus();
    }
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-menu-toggle]");
    if (button) {
      setMenu(button.getAttribute("aria-expanded") !== "true");
      return;
    }
    // A click outside an open account menu closes it.
    document.querySelectorAll("details.user-menu[open]").forEach(function (d) {
      if (!d.contains(e.target)) d.removeAttribute("open");
    });
  });

  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    var button = document.querySelector("[data-menu-toggle]");
    if (button && button.getAttribute("aria-expanded") === "true") {
      setMenu(false);
      button.focus();
    }
    document.querySelectorAll("details.user-menu[open]").forEach(function (d) {
      d.removeAttribute("open");
      d.querySelector("summary").focus();
    });
  });
})();
