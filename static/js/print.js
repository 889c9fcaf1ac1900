// The "Print" button of printable pages (address labels); a file, not inline, for the Content-Security-Policy.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
