// Settings → Roles: every right besides read needs read on the same row,
// so ticking one ticks read, and unticking read unticks the row. The
// service checks the same rule; this only saves a round trip.
(function () {
  "use strict";

  document.addEventListener("change", function (e) {
    var box = e.target;
    if (!box.matches || !box.matches("[data-perm-matrix] input[type=checkbox][data-action]")) return;
    var row = box.closest("[data-perm-row]");
    if (!row) return;
    var read = row.querySelector('input[data-action="read"]');
    if (!read) return;
    if (box === read) {
      if (!read.checked) {
        row.querySelectorAll("input[type=checkbox][data-action]").forEach(function (b) { b.checked = false; });
      }
    } else if (box.checked) {
      read.checked = true;
    }
  });
})();
