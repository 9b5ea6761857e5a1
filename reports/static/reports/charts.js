/* Dashboard and plan economics charts (Chart.js 4, served by the app). Each canvas has role="img", an
   aria-label and a table of the same figures beside it, so nothing here is the only
   way to read a number. Amounts arrive as exact decimal strings; they become numbers
   for drawing only. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-charts") || document.getElementById("economics-charts");
  if (!source || typeof Chart === "undefined") { return; }
  var charts = JSON.parse(source.textContent);
  var colors = ["#005ea2", "#c05600", "#00703c", "#71767a"];
  var dashes = [[], [8, 4], [2, 3], [12, 3, 3, 3]];
  var money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 });

  Object.keys(charts).forEach(function (id) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    var spec = charts[id];
    var line = spec.type === "line";
    var datasets = spec.datasets.map(function (dataset, index) {
      return {
        label: dataset.label,
        data: dataset.data.map(Number),
        borderColor: colors[index % colors.length],
        backgroundColor: colors[index % colors.length],
        borderDash: line ? dashes[index % dashes.length] : undefined,
        borderWidth: 2,
        pointRadius: line ? 0 : undefined,
        tension: 0
      };
    });
    var valueAxis = {
      beginAtZero: true,
      ticks: {
        callback: function (value) {
          if (spec.percent) { return value + "%"; }
          return spec.count ? value : money.format(value);
        }
      }
    };
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: spec.horizontal ? "y" : "x",
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom" } },
        scales: spec.horizontal ? { x: valueAxis } : { y: valueAxis }
      }
    });
  });
})();
