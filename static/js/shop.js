// The Scan Key screen: count down to the code's expiry (htmx renews the code before then).
(function () {
  "use strict";
  function tick() {
    document.querySelectorAll("[data-expires-at]").forEach(function (element) {
      var left = Math.round((Date.parse(element.dataset.expiresAt) - Date.now()) / 1000);
      var countdown = element.parentElement.querySelector("[data-countdown]");
      if (countdown) {
        countdown.textContent = left > 0 ? "(" + left + " s left)" : "(renewing…)";
      }
    });
  }
  setInterval(tick, 1000);
  document.addEventListener("htmx:afterSwap", tick);
})();
