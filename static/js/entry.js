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
  function title(text) {
    return text ? { display: true, text: text } : { display: false };
  }
  // data-x-title / data-y-title name the axes (the hours' time zone); data-counts keeps ticks whole;
  // a chart with nothing but zeros or gaps says "No data yet" instead of drawing empty axes.
  function draw(canvas) {
    var source = document.getElementById(canvas.id + "-data");
    if (!source || !window.Chart) { return; }
    var data = JSON.parse(source.textContent);
    var kind = canvas.getAttribute("data-entry-chart");
    var stacked = kind === "stacked-bar";
    var keys = Object.keys(data).filter(function (key) { return key !== "labels"; });
    var empty = keys.every(function (key) {
      return (data[key] || []).every(function (value) { return value === null || Number(value) === 0; });
    });
    if (empty) {
      var note = document.createElement("p");
      note.className = "muted chart-empty";
      note.textContent = "No data yet";
      canvas.parentNode.insertBefore(note, canvas);
      canvas.hidden = true;
      return;
    }
    var y = { stacked: stacked, beginAtZero: true, title: title(canvas.getAttribute("data-y-title")) };
    if (canvas.getAttribute("data-counts") === "true") { y.ticks = { precision: 0 }; }
    new window.Chart(canvas, {
      type: stacked ? "bar" : "line",
      data: {
        labels: data.labels,
        datasets: keys.map(function (key) {
          return dataset(kind, key, data[key]);
        })
      },
      options: {
        animation: false,
        scales: { x: { stacked: stacked, title: title(canvas.getAttribute("data-x-title")) }, y: y }
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-entry-chart]").forEach(draw);
  });
}());
