// Draw every <canvas data-chart="..."> from the JSON script element named "<canvas id>-data".
(function () {
  "use strict";
  var colours = { accepted: "#2e7d32", rejected: "#c62828", failed: "#f9a825" };
  function draw(canvas) {
    var source = document.getElementById(canvas.id + "-data");
    if (!source || !window.Chart) { return; }
    var data = JSON.parse(source.textContent);
    var series = Object.keys(data).filter(function (key) { return key !== "labels"; });
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: series.map(function (key) {
          return { label: key, data: data[key], backgroundColor: colours[key] || "#1565c0" };
        })
      },
      options: {
        animation: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } }
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
}());
