// Deals: the kanban board (drag and drop with SortableJS, and the Move
// menu on each card as the keyboard alternative), the pipeline switcher and
// the deal form's contact picker. No inline scripts: the CSP forbids them.
// Without this file every move still works through the card's form.
(function () {
  "use strict";

  function board() { return document.querySelector("[data-board]"); }

  function status(msg) {
    var el = document.querySelector("[data-board-status]");
    if (el) el.textContent = msg;
  }

  // post sends a move and returns the parsed answer with its status.
  function post(url, data) {
    var body = new URLSearchParams();
    Object.keys(data).forEach(function (k) { body.append(k, data[k]); });
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (json) {
        return { status: res.status, json: json };
      });
    });
  }

  function cardOf(el) { return el && el.closest && el.closest("[data-deal-id]"); }

  // neighbours are the cards just above and below card in its column.
  function neighbours(card) {
    var prev = card.previousElementSibling, next = card.nextElementSibling;
    while (prev && !prev.matches("[data-deal-id]")) prev = prev.previousElementSibling;
    while (next && !next.matches("[data-deal-id]")) next = next.nextElementSibling;
    return { after: prev ? prev.getAttribute("data-deal-id") : "", before: next ? next.getAttribute("data-deal-id") : "" };
  }

  // applyTotals writes the counts and sums the server computed after a move.
  function applyTotals(columns) {
    (columns || []).forEach(function (c) {
      var col = document.querySelector('[data-column="' + c.stage_id + '"]');
      if (!col) return;
      var n = col.querySelector("[data-col-count]"), t = col.querySelector("[data-col-total]");
      if (n) n.textContent = c.count + (c.count === 1 ? " deal" : " deals");
      if (t) t.textContent = c.total;
      var empty = col.querySelector("[data-col-empty]");
      if (empty) empty.hidden = c.count > 0;
    });
  }

  // move asks the server to put card in stageID between its neighbours.
  // A conflict (someone else moved it) is in the flash: reload the board
  // so the loser sees the message and where the card really is.
  function move(card, stageID, place) {
    var id = card.getAttribute("data-deal-id");
    var b = board();
    card.setAttribute("aria-busy", "true");
    return post("/deals/" + id + "/move", {
      stage_id: stageID, after_id: place.after, before_id: place.before,
      version: card.getAttribute("data-version"), "return": b ? b.getAttribute("data-return") : "/deals"
    }).then(function (res) {
      card.removeAttribute("aria-busy");
      if (res.status === 200) {
        card.setAttribute("data-version", res.json.version);
        applyTotals(res.json.columns);
        var name = card.querySelector(".deal-card-name");
        status((name ? name.textContent : "Deal") + " moved to " + res.json.stage_name + ".");
        return true;
      }
      if (res.status === 409) {
        status(res.json.error || "Someone else moved this deal.");
        window.location.reload();
        return false;
      }
      status(res.json.error || "The deal could not be moved.");
      window.location.reload();
      return false;
    }, function () {
      card.removeAttribute("aria-busy");
      status("The deal could not be moved: no connection.");
    });
  }

  function initBoard(root) {
    // Cards are dragged only by those who may move deals.
    if (typeof Sortable === "undefined" || !document.querySelector("[data-board][data-can-move]")) return;
    (root || document).querySelectorAll(".board-cards[data-stage-id]").forEach(function (list) {
      if (list.sortableReady) return;
      list.sortableReady = true;
      Sortable.create(list, {
        group: "deals", draggable: "[data-deal-id]", animation: 120,
        // Pointer events rather than native drag and drop: the same on
        // touch screens, and testable by driving the mouse.
        forceFallback: true, fallbackTolerance: 4,
        filter: "[data-move-open]", preventOnFilter: false,
        onEnd: function (e) {
          if (e.from === e.to && e.oldIndex === e.newIndex) return;
          var card = e.item;
          var more = e.to.querySelector(".board-more");
          if (more && more.compareDocumentPosition(card) & Node.DOCUMENT_POSITION_FOLLOWING) {
            e.to.insertBefore(card, more);
          }
          move(card, e.to.getAttribute("data-stage-id"), neighbours(card));
        }
      });
    });
  }

  // --- The Move menu: the keyboard (and touch) way to move a card -----
  // One menu for the whole board; each card's Move button opens it beside
  // the card. Arrow keys go through the stages, Enter moves the card to
  // the end of that column, Escape closes the menu. Without this script
  // the button is a link to the deal's page and its stage form.
  var menuCard = null, menuOpener = null;
  // armed is set by a key pressed inside the open menu: the Enter that
  // opened the menu must not also choose its first stage.
  var armed = false;

  function menu() { return document.querySelector("[data-move-menu]"); }

  function menuItems() { return Array.prototype.slice.call(menu().querySelectorAll("[data-move-to]")); }

  function openMenu(opener) {
    var m = menu();
    if (!m) return;
    menuCard = cardOf(opener);
    menuOpener = opener;
    var current = menuCard.parentNode.getAttribute("data-stage-id");
    var items = menuItems();
    items.forEach(function (b) {
      var here = b.getAttribute("data-move-to") === current;
      b.setAttribute("aria-disabled", here ? "true" : "false");
    });
    var r = opener.getBoundingClientRect();
    m.hidden = false;
    var below = r.bottom + 4 + m.offsetHeight <= window.innerHeight;
    m.style.top = (below ? r.bottom + 4 : Math.max(8, r.top - 4 - m.offsetHeight)) + "px";
    m.style.left = Math.max(8, Math.min(r.left, document.documentElement.clientWidth - m.offsetWidth - 8)) + "px";
    opener.setAttribute("aria-expanded", "true");
    armed = false;
    var first = items.filter(function (b) { return b.getAttribute("aria-disabled") !== "true"; })[0] || items[0];
    if (first) first.focus();
  }

  function closeMenu(refocus) {
    var m = menu();
    if (!m || m.hidden) return;
    m.hidden = true;
    if (menuOpener) {
      menuOpener.setAttribute("aria-expanded", "false");
      if (refocus) menuOpener.focus();
    }
    menuCard = null;
  }

  function choose(item) {
    if (!menuCard || item.getAttribute("aria-disabled") === "true") return;
    var card = menuCard, opener = menuOpener;
    var stageID = item.getAttribute("data-move-to");
    var list = document.querySelector('.board-cards[data-stage-id="' + stageID + '"]');
    closeMenu(false);
    if (!list) return;
    list.insertBefore(card, list.querySelector(".board-more"));
    move(card, stageID, neighbours(card)).then(function (ok) {
      if (ok && opener) opener.focus();
    });
  }

  document.addEventListener("click", function (e) {
    var t = e.target;
    var opener = t.closest && t.closest("[data-move-open]");
    if (opener && board()) {
      e.preventDefault();
      if (menuOpener === opener && !menu().hidden) closeMenu(true);
      else openMenu(opener);
      return;
    }
    var item = t.closest && t.closest("[data-move-to]");
    if (item) {
      // e.detail is 0 for a click made with the keyboard.
      if (e.detail > 0 || armed) choose(item);
      return;
    }
    if (menu() && !menu().hidden && !(t.closest && t.closest("[data-move-menu]"))) closeMenu(false);
  });

  document.addEventListener("keydown", function (e) {
    var m = menu();
    if (!m || m.hidden || !m.contains(document.activeElement)) return;
    var items = menuItems(), i = items.indexOf(document.activeElement), next = -1;
    if (e.key === "Enter" || e.key === " ") {
      armed = true;
      return;
    }
    switch (e.key) {
      case "ArrowDown": next = (i + 1) % items.length; break;
      case "ArrowUp": next = (i - 1 + items.length) % items.length; break;
      case "Home": next = 0; break;
      case "End": next = items.length - 1; break;
      case "Escape": e.preventDefault(); closeMenu(true); return;
      case "Tab": closeMenu(false); return;
      default: return;
    }
    e.preventDefault();
    items[next].focus();
  });

  // The pipeline switcher changes the board at once.
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.matches && t.matches("[data-autosubmit]") && t.form) t.form.submit();
  });

  // --- The deal form's contacts ----------------------------------------
  document.addEventListener("click", function (e) {
    var t = e.target;
    var pick = t.closest && t.closest(".suggestion[data-contact-id]");
    if (pick) {
      var box = pick.closest("[data-deal-contacts]");
      var list = box.querySelector("[data-contact-list]");
      var id = pick.getAttribute("data-contact-id"), name = pick.getAttribute("data-contact-name");
      if (!list.querySelector('input[value="' + id + '"]')) {
        var li = document.createElement("li");
        var hid = document.createElement("input");
        hid.type = "hidden"; hid.name = "contact_id"; hid.value = id;
        var hname = document.createElement("input");
        hname.type = "hidden"; hname.name = "contact_name"; hname.value = name;
        var span = document.createElement("span");
        span.textContent = name;
        var rm = document.createElement("button");
        rm.type = "button"; rm.className = "button compact secondary"; rm.textContent = "Remove";
        rm.setAttribute("data-contact-remove", ""); rm.setAttribute("aria-label", "Remove " + name);
        li.append(hid, hname, span, " ", rm);
        list.appendChild(li);
      }
      var q = box.querySelector("[data-contact-query]");
      q.value = "";
      pick.closest(".suggestions").innerHTML = "";
      q.focus();
      return;
    }
    var remove = t.closest && t.closest("[data-contact-remove]");
    if (remove) {
      var row = remove.closest("li");
      var query = row.closest("[data-deal-contacts]").querySelector("[data-contact-query]");
      row.remove();
      if (query) query.focus();
    }
  });

  // Enter in the contact search picks nothing and must not send the form.
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target.matches && e.target.matches("[data-contact-query]")) e.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", function () { initBoard(document); });
  document.addEventListener("htmx:load", function (e) {
    initBoard(e.detail.elt.closest ? (e.detail.elt.closest("[data-board]") || document) : document);
  });
})();
