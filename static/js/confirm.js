// Every staff page: a form with data-confirm asks first (the text is the question, "{choice}" in it
// the option chosen in the form's list) and is sent only if staff say OK. Listened for while the event goes down to the form (capture), so a "Cancel"
// stops it before any handler of the form's own (htmx's) sends anything. A file, not an inline
// handler: the Content Security Policy allows scripts from this site only.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) { return; }
    var list = form.querySelector("select");
    var chosen = list && list.selectedIndex >= 0 ? list.options[list.selectedIndex].text : "";
    if (!window.confirm(form.getAttribute("data-confirm").split("{choice}").join(chosen))) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
}());
