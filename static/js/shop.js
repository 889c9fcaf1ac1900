// Small enhancements; every page works without them.
(function () {
  "use strict";

  function pad(number) { return String(number).padStart(2, "0"); }

  function tickCountdowns() {
    document.querySelectorAll("[data-countdown]").forEach(function (element) {
      var left = Math.max(0, Date.parse(element.getAttribute("datetime")) - Date.now());
      var seconds = Math.floor(left / 1000);
      var days = Math.floor(seconds / 86400);
      var clock = pad(Math.floor(seconds % 86400 / 3600)) + ":" + pad(Math.floor(seconds % 3600 / 60)) + ":" + pad(seconds % 60);
      element.textContent = (days > 0 ? days + " " + element.getAttribute("data-days") + " " : "") + clock;
    });
  }

  function showSelection(input) {
    var fieldset = input.closest("[data-offer]");
    var output = fieldset && fieldset.querySelector("[data-selection]");
    if (output) {
      output.textContent = output.getAttribute("data-prefix") + ": " + input.dataset.label + " (" + input.dataset.price + ")";
    }
  }

  function copy(text, button) {
    var status = document.querySelector("[data-copy-status]");
    var done = function () { if (status) { status.textContent = button.getAttribute("data-copied-text"); } };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, done);
    } else {
      var area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
      done();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("[data-countdown]")) {
      tickCountdowns();
      setInterval(tickCountdowns, 1000);
    }
    document.addEventListener("change", function (event) {
      if (event.target.matches("[data-offer] input[type=radio]")) { showSelection(event.target); }
    });
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-copy], [data-copy-from]");
      if (!button) { return; }
      var source = button.getAttribute("data-copy-from");
      copy(source ? document.getElementById(source).value : button.getAttribute("data-copy"), button);
    });
  });
})();
