// Orders per day on the campaign's admin page, drawn by Chart.js from data the page carries.
(function () {
  "use strict";
  function draw() {
    var data = document.getElementById("orders-per-day-data");
    var canvas = document.getElementById("orders-per-day-chart");
    if (!data || !canvas || typeof window.Chart === "undefined") { return; }
    var chart = JSON.parse(data.textContent);
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: [
          { label: chart.orders_label, data: chart.orders, backgroundColor: "#417690" },
          { label: chart.units_label, data: chart.units, backgroundColor: "#c9a227" }
        ]
      },
      options: { responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
