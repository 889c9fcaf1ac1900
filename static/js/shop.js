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

  function rupiah(amount) { return "Rp" + amount.toLocaleString("id-ID"); }

  function showSelection(form) {
    var output = form.querySelector("[data-selection]");
    if (!output) { return; }
    var parts = [];
    var total = 0;
    form.querySelectorAll("input[data-price-idr]").forEach(function (input) {
      var quantity = parseInt(input.value, 10);
      if (quantity > 0) {
        parts.push(quantity + " \u00d7 " + input.dataset.label);
        total += quantity * parseInt(input.dataset.priceIdr, 10);
      }
    });
    output.textContent = parts.length
      ? output.dataset.prefix + ": " + parts.join(", ") + ". " + output.dataset.total + " " + rupiah(total)
      : "";
  }

  // Copy buttons: the button says it copied for a moment and a polite live region says what was copied.
  // Where the browser refuses the clipboard, the text is selected and the buyer is told to press and hold it.
  var COPIED_FOR_MS = 2500;

  function announce(status, text) {
    if (!status) { return; }
    // Emptied first and filled a moment later, so that the same words said twice are read twice.
    status.textContent = "";
    setTimeout(function () { status.textContent = text; }, 100);
  }

  function showCopied(button) {
    var label = button.getAttribute("data-copied-label") || button.getAttribute("data-copied-text");
    if (!label) { return; }
    if (!button.hasAttribute("data-label")) { button.setAttribute("data-label", button.textContent); }
    button.textContent = label;
    button.setAttribute("data-copied", "");
    clearTimeout(button.copiedTimer);
    button.copiedTimer = setTimeout(function () {
      button.textContent = button.getAttribute("data-label");
      button.removeAttribute("data-copied");
    }, COPIED_FOR_MS);
  }

  function selectText(element) {
    if (!element) { return; }
    if (typeof element.select === "function") {
      element.focus();
      element.select();
      return;
    }
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copy(text, button, source) {
    var section = button.closest("section");
    var status = (section && section.querySelector("[data-copy-status]")) || document.querySelector("[data-copy-status]");
    var done = function () {
      showCopied(button);
      announce(status, button.getAttribute("data-copied-text"));
    };
    var refused = function () {
      selectText(source);
      announce(status, button.getAttribute("data-failed-text"));
    };
    var fallback = function () {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
      area.remove();
      button.focus();
      if (copied) { done(); } else { refused(); }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
    followProvince();
    if (document.querySelector("[data-countdown]")) {
      tickCountdowns();
      setInterval(tickCountdowns, 1000);
    }
    document.addEventListener("input", function (event) {
      var form = event.target.closest("[data-order-form]");
      if (form) { showSelection(form); }
    });
    document.addEventListener("click", function (event) {
      var stepper = event.target.closest("[data-step]");
      if (stepper) {
        var input = document.getElementById(stepper.getAttribute("aria-controls"));
        var next = (parseInt(input.value, 10) || 0) + parseInt(stepper.getAttribute("data-step"), 10);
        var max = input.hasAttribute("max") ? parseInt(input.max, 10) : Infinity;
        input.value = Math.max(0, Math.min(next, max));
        input.dispatchEvent(new Event("input", { bubbles: true }));
        return;
      }
      var button = event.target.closest("[data-copy], [data-copy-from]");
      if (!button) { return; }
      var from = button.getAttribute("data-copy-from");
      var source = document.getElementById(from || button.getAttribute("data-copy-select"));
      copy(from ? source.value : button.getAttribute("data-copy"), button, source);
    });
  });

  // Checkout: the postage and every amount follow the province the buyer picks.
  function followProvince() {
    var dataElement = document.getElementById("postage-data");
    var select = document.querySelector("select[data-province]");
    if (!dataElement || !select) { return; }
    var data = JSON.parse(dataElement.textContent);
    function set(selector, amount) {
      document.querySelectorAll(selector).forEach(function (element) { element.textContent = rupiah(amount); });
    }
    var amounts = document.querySelectorAll("[data-postage], [data-total], [data-pay-full], [data-pay-dp], [data-pay-balance]");
    amounts.forEach(function (element) { element.dataset.initial = element.textContent; });
    function update() {
      var postage = data.by_province[select.value];
      var seen = document.querySelector("[data-postage-seen]");
      var missing = document.querySelector("[data-no-postage]");
      if (missing) { missing.hidden = !(select.value && (postage === null || postage === undefined)); }
      if (postage === null || postage === undefined) {
        // No province yet: the amounts without postage, as the page came. No rate: no amount at all,
        // rather than the last province's.
        if (seen) { seen.value = ""; }
        amounts.forEach(function (element) {
          element.textContent = !select.value ? element.dataset.initial
            : element.hasAttribute("data-postage") ? data.choose_label : "\u2013";
        });
        return;
      }
      var total = data.goods + postage;
      set("[data-postage]", postage);
      set("[data-total]", total);
      set("[data-pay-full]", data.with_first ? total : data.goods);
      if (data.dp_goods !== null) {
        var dp = data.dp_goods + (data.with_first ? postage : 0);
        set("[data-pay-dp]", dp);
        set("[data-pay-balance]", total - dp);
      }
      if (seen) { seen.value = String(postage); }
    }
    select.addEventListener("change", update);
    update();
  }
})();
