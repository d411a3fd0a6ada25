// Entry charts: draw every <canvas data-entry-chart="stacked-bar|lines"> from the JSON script
// element named "<canvas id>-data" ({"labels": [...], "<series>": [...], ...}).
(function () {
  "use strict";
  var series = {
    admitted: { label: "Admitted", colour: "#2e7d32" },
    refused: { label: "Refused", colour: "#c62828" },
    store_default: { label: "Store default (500)", colour: "#f9a825" },
    p50: { label: "p50 latency (ms)", colour: "#1565c0" },
    p95: { label: "p95 latency (ms)", colour: "#6a1b9a" }
  };
  function dataset(kind, key, values) {
    var known = series[key] || { label: key, colour: "#455a64" };
    var set = { label: known.label, data: values, backgroundColor: known.colour, borderColor: known.colour };
    if (kind === "lines") {
      set.fill = false;
      set.spanGaps = false;
      set.pointRadius = 2;
    }
    return set;
  }
  function draw(canvas) {
    var source = document.getElementById(canvas.id + "-data");
    if (!source || !window.Chart) { return; }
    var data = JSON.parse(source.textContent);
    var kind = canvas.getAttribute("data-entry-chart");
    var stacked = kind === "stacked-bar";
    new window.Chart(canvas, {
      type: stacked ? "bar" : "line",
      data: {
        labels: data.labels,
        datasets: Object.keys(data).filter(function (key) { return key !== "labels"; }).map(function (key) {
          return dataset(kind, key, data[key]);
        })
      },
      options: {
        animation: false,
        scales: { x: { stacked: stacked }, y: { stacked: stacked, beginAtZero: true } }
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-entry-chart]").forEach(draw);
  });
}());
