// GE-meldet maps: a location picker (report form) and a marker map (public list).
// Progressive enhancement: without JavaScript the form keeps its address and coordinate fields.
(function () {
  "use strict";
  function baseMap(el, cfg) {
    var map = L.map(el, { keyboard: true });
    if (cfg.tiles && cfg.tiles.url) {
      L.tileLayer(cfg.tiles.url, { attribution: cfg.tiles.attribution, maxZoom: cfg.tiles.max_zoom }).addTo(map);
    } else {
      el.classList.add("plain");
    }
    map.fitBounds(cfg.bounds);
    fetch(cfg.areas + "?level=stadtteil").then(function (r) { return r.json(); }).then(function (fc) {
      L.geoJSON(fc, { style: { color: "#00549f", weight: 1, fillOpacity: 0.05 }, interactive: false }).addTo(map);
    }).catch(function () {});
    return map;
  }
  function picker() {
    var el = document.getElementById("mm-picker");
    if (!el || !window.L) return;
    var cfg = JSON.parse(document.getElementById("mm-map-config").textContent);
    var lat = document.getElementById("lat"), lon = document.getElementById("lon");
    var status = document.getElementById("mm-location-status");
    var map = baseMap(el, cfg), marker = null;
    function place(latlng, text) {
      if (marker) { marker.setLatLng(latlng); } else {
        marker = L.marker(latlng, { draggable: true, keyboard: true, title: "Ort der Meldung" }).addTo(map);
        marker.on("dragend", function () { place(marker.getLatLng(), "Markierung verschoben."); });
      }
      lat.value = latlng.lat.toFixed(6); lon.value = latlng.lng.toFixed(6);
      status.textContent = text + " (" + lat.value + ", " + lon.value + ")";
    }
    if (lat.value && lon.value) { place(L.latLng(+lat.value, +lon.value), "Gespeicherter Ort"); map.setView([+lat.value, +lon.value], 16); }
    map.on("click", function (e) { place(e.latlng, "Markierung gesetzt."); });
    var btn = document.getElementById("mm-locate");
    if (btn && navigator.geolocation) {
      btn.hidden = false;
      btn.addEventListener("click", function () {
        status.textContent = "Standort wird ermittelt …";
        navigator.geolocation.getCurrentPosition(function (pos) {
          var ll = L.latLng(pos.coords.latitude, pos.coords.longitude);
          place(ll, "Ihr Standort wurde übernommen."); map.setView(ll, 17);
        }, function () { status.textContent = "Der Standort konnte nicht ermittelt werden. Bitte tippen Sie auf die Karte."; },
        { enableHighAccuracy: true, timeout: 10000 });
      });
    }
  }
  function markers() {
    var el = document.getElementById("mm-reports-map");
    if (!el || !window.L) return;
    var cfg = JSON.parse(document.getElementById("mm-map-config").textContent);
    var data = JSON.parse(document.getElementById("mm-markers").textContent);
    var map = baseMap(el, cfg);
    data.forEach(function (m) {
      L.circleMarker([m.lat, m.lon], { radius: 7, color: m.closed ? "#2e7d32" : "#c62828", fillOpacity: 0.7 })
        .bindPopup('<a href="/meldungen/' + m.id + '">' + m.title.replace(/</g, "&lt;") + "</a><br>" + m.status)
        .addTo(map);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { picker(); markers(); });
})();
