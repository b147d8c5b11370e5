/* City map (/karte): draws the GeoJSON layers listed in #map-config with the vendored Leaflet.
   No tile server is needed: without configured tiles the map is a plain background.
   Layers are switched with the checkboxes in #map-layers (plain HTML, keyboard accessible). */
(function () {
  "use strict";

  function start() {
    var box = document.getElementById("map");
    var source = document.getElementById("map-config");
    var status = document.getElementById("map-status");
    if (!box || !source || typeof L === "undefined") return;
    var config = JSON.parse(source.textContent);
    var map = L.map(box, { zoomSnap: 0.25, attributionControl: true });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    map.fitBounds(config.bounds);
    if (config.tiles && config.tiles.url) {
      L.tileLayer(config.tiles.url, {
        attribution: config.tiles.attribution,
        maxZoom: config.tiles.max_zoom
      }).addTo(map);
    } else {
      box.classList.add("plain");
    }

    function label(feature) {
      var p = feature.properties || {};
      return p.name || p.title || p.label || String(feature.id || "");
    }

    var layers = {};
    var failed = [];
    var pending = config.layers.map(function (spec) {
      return fetch(spec.url, { headers: { Accept: "application/geo+json, application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then(function (data) {
          var style = spec.style;
          var layer = L.geoJSON(data, {
            style: function () { return style; },
            pointToLayer: function (feature, latlng) {
              return L.circleMarker(latlng, {
                radius: 6, color: style.color, weight: 2, fillColor: style.color, fillOpacity: 0.8
              });
            },
            onEachFeature: function (feature, item) {
              var text = label(feature);
              if (text) item.bindTooltip(text, { sticky: true });
            }
          });
          layers[spec.id] = layer;
          if (spec.visible) layer.addTo(map);
          var input = document.getElementById("layer-" + spec.id);
          if (input) {
            input.disabled = false;
            input.addEventListener("change", function () {
              if (input.checked) layer.addTo(map); else map.removeLayer(layer);
            });
          }
        })
        .catch(function () {
          failed.push(spec.label);
        });
    });

    Promise.all(pending).then(function () {
      if (!status) return;
      status.textContent = failed.length
        ? config.messages.failed + " " + failed.join(", ")
        : config.messages.loaded;
      box.setAttribute("data-ready", "true");
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
