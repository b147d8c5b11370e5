/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";

  // Wide screens show the main menu open; browsers without ::details-content support need a nudge.
  var menu = document.getElementById("menu");
  if (menu && window.matchMedia) {
    var wide = window.matchMedia("(min-width: 48rem)");
    var syncMenu = function () { if (wide.matches) menu.open = true; };
    syncMenu();
    if (wide.addEventListener) wide.addEventListener("change", syncMenu);
  }

  // Wide tables scroll inside their own region instead of widening the page on phones. Templates
  // may wrap a table in <div class="table-scroll"> themselves; any other table is wrapped here.
  // A region that scrolls must be reachable by keyboard (WCAG 2.1.1), one that does not must not
  // add a useless tab stop.
  function start() {
    var regions = [];
    var tables = document.querySelectorAll("main table");
    for (var i = 0; i < tables.length; i++) {
      var table = tables[i];
      var wrap = table.parentElement;
      if (!wrap.classList.contains("table-scroll")) {
        wrap = document.createElement("div");
        wrap.className = "table-scroll";
        table.parentNode.insertBefore(wrap, table);
        wrap.appendChild(table);
      }
      if (!wrap.hasAttribute("aria-labelledby") && !wrap.hasAttribute("aria-label")) {
        var caption = table.querySelector("caption");
        wrap.setAttribute("aria-label", caption ? caption.textContent.trim() : document.title);
      }
      wrap.setAttribute("role", "region");
      regions.push(wrap);
    }
    function sync() {
      for (var j = 0; j < regions.length; j++) {
        var region = regions[j];
        if (region.scrollWidth > region.clientWidth + 1) region.tabIndex = 0;
        else region.removeAttribute("tabindex");
      }
    }
    sync();
    window.addEventListener("resize", sync);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
