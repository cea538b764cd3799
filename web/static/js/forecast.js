// Draws the forecast charts: each <canvas data-forecast-chart="{json}">
// gets a bar chart of open, weighted, won and lost by month, in one
// currency. The numbers come from the server in the data attribute (the
// CSP allows no inline script).
(function () {
  "use strict";
  var colours = { open: "#9aa9e8", weighted: "#3454d1", won: "#2e8b57", lost: "#b3261e" };

  function draw(root) {
    if (typeof window.Chart === "undefined") return;
    root.querySelectorAll("canvas[data-forecast-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) return;
      var d;
      try { d = JSON.parse(canvas.dataset.forecastChart); } catch (e) { return; }
      canvas.dataset.drawn = "1";
      var money = new Intl.NumberFormat(undefined, { style: "currency", currency: d.currency });
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: d.labels,
          datasets: [
            { label: "Open", data: d.open, backgroundColor: colours.open },
            { label: "Weighted", data: d.weighted, backgroundColor: colours.weighted },
            { label: "Won", data: d.won, backgroundColor: colours.won },
            { label: "Lost", data: d.lost, backgroundColor: colours.lost }
          ]
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return money.format(v); } } } },
          plugins: { tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + money.format(c.parsed.y); } } } }
        }
      });
    });
  }

  function start() { draw(document); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  window.addEventListener("load", start);
  document.addEventListener("htmx:afterSettle", function (e) { draw(e.target); });
})();
