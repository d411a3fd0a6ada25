// Draw every <canvas data-chart="stacked-bar|line"> from the JSON script element named
// "<canvas id>-data" ({"labels": [...], "<series>": [...], ...}). Numbers may come as decimal
// strings (money): Chart.js reads them as numbers. A "line" chart is not stacked.
(function () {
  "use strict";
  var colours = {
    accepted: "#2e7d32",
    rejected: "#c62828",
    failed: "#f9a825",
    priced: "#2e7d32",
    empty: "#90a4ae",
    bad_cart: "#c62828",
    written_off: "#f9a825",
    admitted: "#2e7d32",
    refused: "#c62828",
    store_default: "#f9a825",
    payment_issues: "#6a1b9a"
  };
  var names = {
    priced: "Priced", empty: "Empty cart", bad_cart: "Bad cart", written_off: "Written off",
    admitted: "Admitted", refused: "Refused", store_default: "Store default (500)", payment_issues: "Payment issues"
  };
  var palette = ["#1565c0", "#6a1b9a", "#00838f", "#ef6c00", "#4e342e"];
  function draw(canvas) {
    var source = document.getElementById(canvas.id + "-data");
    if (!source || !window.Chart) { return; }
    var data = JSON.parse(source.textContent);
    var isLine = canvas.getAttribute("data-chart") === "line";
    var series = Object.keys(data).filter(function (key) { return key !== "labels"; });
    new window.Chart(canvas, {
      type: isLine ? "line" : "bar",
      data: {
        labels: data.labels,
        datasets: series.map(function (key, index) {
          var colour = colours[key] || palette[index % palette.length];
          var set = { label: names[key] || key, data: data[key], backgroundColor: colour, borderColor: colour };
          if (isLine) {
            set.fill = false;
            set.pointRadius = 2;
          }
          return set;
        })
      },
      options: {
        animation: false,
        scales: { x: { stacked: !isLine }, y: { stacked: !isLine, beginAtZero: true } }
      }
    });
  }
  function drawAll() {
    document.querySelectorAll("canvas[data-chart]:not([data-drawn])").forEach(function (canvas) {
      canvas.setAttribute("data-drawn", "true");
      draw(canvas);
    });
  }
  document.addEventListener("DOMContentLoaded", drawAll);
  // A part of the page htmx refreshed brings new canvases (the dashboard, every few seconds).
  document.addEventListener("htmx:afterSettle", drawAll);
}());
