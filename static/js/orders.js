// Orders screens: the promotion form shows only the values its kind takes (hidden ones are
// disabled, so they are not sent); data-copy buttons copy. (Forms with data-confirm: confirm.js.)
(function () {
  "use strict";
  var VALUES = ["percent", "amount", "buy_quantity", "get_quantity", "minimum_spend"];
  var BY_KIND = {
    percent_off: ["percent"],
    amount_off: ["amount"],
    fixed_price: ["amount"],
    multi_buy: ["buy_quantity", "amount"],
    buy_x_get_y: ["buy_quantity", "get_quantity", "percent"],
    spend_and_save: ["minimum_spend", "amount", "percent"]
  };
  function showValues(form) {
    var kind = form.querySelector("[name=kind]");
    var wanted = BY_KIND[kind.value] || VALUES;
    VALUES.forEach(function (name) {
      var box = form.querySelector('[data-field="' + name + '"]');
      var input = form.querySelector('[name="' + name + '"]');
      if (!box || !input) { return; }
      var shown = wanted.indexOf(name) !== -1;
      box.hidden = !shown;
      input.disabled = !shown;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-promotion-form]").forEach(function (form) {
      var kind = form.querySelector("[name=kind]");
      if (!kind) { return; }
      kind.addEventListener("change", function () { showValues(form); });
      showValues(form);
    });
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy"));
        if (!source || !navigator.clipboard) { return; }
        navigator.clipboard.writeText(source.textContent).then(function () {
          button.textContent = "Copied";
        });
      });
    });
  });
}());
