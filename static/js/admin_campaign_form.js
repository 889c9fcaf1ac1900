// Holidays, cuti bersama and paydays near the window, shown as soon as the dates are typed (before any save).
(function () {
  "use strict";
  var helper = document.querySelector("[data-occasions-url]");
  if (!helper) { return; }
  var fields = ["id_opens_at_0", "id_closes_at_0", "id_estimated_ship_date"].map(function (id) { return document.getElementById(id); });
  function refresh() {
    if (fields.some(function (field) { return !field || !field.value; })) { return; }
    var query = new URLSearchParams({ opens_at: fields[0].value, closes_at: fields[1].value, ship: fields[2].value });
    fetch(helper.getAttribute("data-occasions-url") + "?" + query.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { if (html) { helper.innerHTML = html; } });
  }
  fields.forEach(function (field) { if (field) { field.addEventListener("change", refresh); } });
  refresh();
})();
