// Draw every <canvas data-chart="stacked-bar|line"> from the JSON script element named
// "<canvas id>-data" ({"labels": [...], "<series>": [...], ...}). Numbers may come as decimal
// strings (money): Chart.js reads them as numbers. A "line" chart is not stacked.
// The canvas may say more: data-x-title / data-y-title name the axes (the x title names the time
// zone the hours or days are read on); data-counts="true" keeps the y ticks whole numbers;
// data-money="true" gives each series (one per currency) an axis of its own, so amounts in
// different currencies are never read on one scale. A chart with nothing but zeros says "No data yet".
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
    payment_issues: "#6a1b9a",
    gross: "#1565c0",
    captured: "#2e7d32",
    refunds: "#c62828"
  };
  var names = {
    priced: "Priced", empty: "Empty cart", bad_cart: "Bad cart", written_off: "Written off",
    admitted: "Admitted", refused: "Refused", store_default: "Store default (500)", payment_issues: "Payment issues",
    gross: "Gross sales", captured: "Captured", refunds: "Refunds"
  };
  var palette = ["#1565c0", "#6a1b9a", "#00838f", "#ef6c00", "#4e342e"];
  function title(text) {
    return text ? { display: true, text: text } : { display: false };
  }
  function isEmpty(data, series) {
    return series.every(function (key) {
      return (data[key] || []).every(function (value) { return value === null || Number(value) === 0; });
    });
  }
  function sayEmpty(canvas) {
    var note = document.createElement("p");
    note.className = "muted chart-empty";
    note.textContent = "No data yet";
    canvas.parentNode.insertBefore(note, canvas);
    canvas.hidden = true;
  }
  function scales(canvas, stacked, series) {
    var result = { x: { stacked: stacked, title: title(canvas.getAttribute("data-x-title")) } };
    if (canvas.getAttribute("data-money") === "true") {
      series.forEach(function (currency, index) {
        result["y-" + currency] = {
          beginAtZero: true,
          position: index % 2 ? "right" : "left",
          title: title(currency),
          grid: { drawOnChartArea: index === 0 }
        };
      });
      return result;
    }
    result.y = { stacked: stacked, beginAtZero: true, title: title(canvas.getAttribute("data-y-title")) };
    if (canvas.getAttribute("data-counts") === "true") { result.y.ticks = { precision: 0 }; }
    return result;
  }
  function draw(canvas) {
    var source = document.getElementById(canvas.id + "-data");
    if (!source || !window.Chart) { return; }
    var data = JSON.parse(source.textContent);
    var isLine = canvas.getAttribute("data-chart") === "line";
    var isMoney = canvas.getAttribute("data-money") === "true";
    var series = Object.keys(data).filter(function (key) { return key !== "labels"; });
    if (isEmpty(data, series)) {
      sayEmpty(canvas);
      return;
    }
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
          if (isMoney) { set.yAxisID = "y-" + key; }
          return set;
        })
      },
      options: {
        animation: false,
        scales: scales(canvas, !isLine, series)
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
