/* GELSENcloud chart embed script: turns every <div data-gelsencloud-chart="URL of /daten/<name>/diagramm/<n>">
   on any website into an iframe with that chart and keeps its height in step with the chart
   (the chart page posts {type: "gelsencloud-chart-height", height} to its parent). */
(function () {
  "use strict";

  function insert() {
    var nodes = document.querySelectorAll("[data-gelsencloud-chart]:not([data-gelsencloud-ready])");
    Array.prototype.forEach.call(nodes, function (node) {
      var frame = document.createElement("iframe");
      frame.src = node.getAttribute("data-gelsencloud-chart");
      frame.title = node.getAttribute("data-title") || "Diagramm";
      frame.setAttribute("width", "100%");
      frame.setAttribute("height", "440");
      frame.style.border = "0";
      frame.style.width = "100%";
      node.setAttribute("data-gelsencloud-ready", "true");
      node.appendChild(frame);
    });
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.type !== "gelsencloud-chart-height" || typeof data.height !== "number") return;
    var frames = document.querySelectorAll("[data-gelsencloud-chart] iframe");
    Array.prototype.forEach.call(frames, function (frame) {
      if (frame.contentWindow === event.source) frame.style.height = Math.ceil(data.height) + "px";
    });
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", insert);
  else insert();
})();
