// Small enhancements only; every page works without this file.
"use strict";

(function () {
  // Modals: the server renders a <dialog data-modal>; htmx swaps it into #modal and we open it.
  function openModals(root) {
    root.querySelectorAll("#modal dialog[data-modal]:not([open])").forEach(function (dialog) {
      dialog.showModal();
      dialog.addEventListener("close", function () { dialog.remove(); });
      var first = dialog.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    });
  }

  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-close]");
    var dialog = closer && closer.closest("#modal dialog");
    if (dialog) {
      // Closing only hides the dialog: a running timer keeps running on the server.
      event.preventDefault();
      dialog.close();
    }
    // Ellipsis menus: one open at a time, and a click elsewhere closes them.
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
    // The folded navigation on narrow screens: the button opens it, a click outside it closes it again.
    var toggle = document.querySelector("[data-nav-toggle]");
    if (toggle) {
      var nav = document.getElementById(toggle.getAttribute("aria-controls"));
      var open = toggle.contains(event.target) ? toggle.getAttribute("aria-expanded") !== "true"
        : nav.contains(event.target) && toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", String(open));
    }
  });
  document.addEventListener("keydown", function (event) {
    var toggle = document.querySelector("[data-nav-toggle][aria-expanded=true]");
    if (event.key === "Escape" && toggle) {
      toggle.setAttribute("aria-expanded", "false");
      toggle.focus();
    }
  });

  document.addEventListener("htmx:afterSettle", function () { openModals(document); });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var menu = event.target.closest && event.target.closest("details.menu");
    if (menu) menu.removeAttribute("open");
  });

  // Live clocks: the server says what a clock showed when the page was made; we only add elapsed seconds.
  function format(seconds) {
    var sign = seconds < 0 ? "-" : "";
    seconds = Math.abs(seconds);
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return sign + h + ":" + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-clock][data-ticking]").forEach(function (clock) {
      if (!clock.dataset.loadedAt) clock.dataset.loadedAt = String(now);
      var passed = Math.floor((now - Number(clock.dataset.loadedAt)) / 1000);
      var shown = Number(clock.dataset.seconds) + Number(clock.dataset.direction) * passed;
      clock.textContent = format(shown);
      clock.classList.toggle("overrun", shown < 0);
    });
  }
  setInterval(tick, 1000);

  // Logs: tick all rows, and ask before a bulk delete.
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-check-all]")) {
      var form = event.target.closest("form");
      form.querySelectorAll("input[name=tasks]").forEach(function (box) { box.checked = event.target.checked; });
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("[data-confirm-delete]") && !event.submitter?.formAction?.includes("/continue/")) {
      var action = form.querySelector("select[name=action]");
      if (action && action.value === "delete" && !window.confirm("Delete the ticked tasks and all their time?")) {
        event.preventDefault();
      }
    }
  });

  // Long filter forms start folded on a phone, unless the address already carries filters; a wider screen
  // (a phone turned sideways) has no button to unfold them, so it shows them.
  var narrow = window.matchMedia("(max-width: 640px)");
  function foldFilters() {
    var filtered = Array.from(new URLSearchParams(location.search).keys()).some(function (key) {
      return key !== "sort" && key !== "page";
    });
    document.querySelectorAll("details[data-fold-narrow]").forEach(function (fold) {
      fold.open = !narrow.matches || filtered;
    });
  }
  narrow.addEventListener("change", function () { if (!narrow.matches) foldFilters(); });

  document.addEventListener("DOMContentLoaded", function () { foldFilters(); openModals(document); tick(); });
})();
