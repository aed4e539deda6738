/* Where a report is: a pin that can be dragged, with the device's accuracy drawn around it.
 *
 * A tap on a zoomed-out map cannot say which street it meant, so it zooms in there and puts an
 * unchecked pin; a pin that is still unchecked when the report is sent asks first (see
 * `needsCheck`). "Use my location" centres the map on the fix and fits its accuracy circle,
 * whatever the zoom was, so the pin is always in sight. */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});
  var PLACE_KEY = "civicmap.lastplace.v1";
  var CLOSE_ZOOM = 14; // from here a tap is precise enough to send without asking
  var form, map, marker, circle, checked = false;

  function init(options) {
    form = options.form;
    form.lat.addEventListener("change", fromInputs);
    form.lon.addEventListener("change", fromInputs);
    document.getElementById("locate").addEventListener("click", locate);
    if (!window.L) return; // Leaflet missing: the coordinate fields still work
    var config = options.config, last = JSON.parse(localStorage.getItem(PLACE_KEY) || "null");
    map = L.map("pin-map", { zoomControl: true });
    if (last) map.setView([last.lat, last.lon], 15);
    else if (config.bounds) map.fitBounds(config.bounds);
    else map.setView([8, 0], 2);
    if (config.tiles.url) {
      L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution, maxZoom: 19 }).addTo(map)
        .once("tileerror", function () {
          document.getElementById("pin-help").textContent = "The background map could not load: use your location, or type the coordinates.";
        });
    }
    map.on("click", function (e) {
      var close = map.getZoom() >= CLOSE_ZOOM;
      place(e.latlng.lat, e.latlng.lng, null, close);
      if (!close) {
        map.setView(e.latlng, 16, { animate: false });
        say("Zoomed in where you tapped: drag the pin, or tap again, to put it exactly on the place.");
      } else say("");
    });
  }

  function round(v) { return Math.round(v * 1e6) / 1e6; }

  function say(text) { document.getElementById("locate-status").textContent = text; }

  /** Put the pin at (lat, lon): `accuracy` in metres when a device measured it; `precise`
   * when it was placed at a zoom (or by a means) that can be trusted to the street. */
  function place(lat, lon, accuracy, precise) {
    form.lat.value = round(lat);
    form.lon.value = round(lon);
    form.accuracy_m.value = accuracy ? Math.min(Math.round(accuracy * 10) / 10, 10000) : "";
    checked = precise !== false;
    form.dispatchEvent(new CustomEvent("pinplaced"));  // for the questionnaire's geopoints
    if (!map) return;
    if (!marker) {
      marker = L.marker([lat, lon], { draggable: true, autoPan: true, keyboard: false, title: "Your report: drag to move it" }).addTo(map);
      marker.on("dragend", dragged);
    }
    marker.setLatLng([lat, lon]);
    if (circle) { map.removeLayer(circle); circle = null; }
    if (accuracy) circle = L.circle([lat, lon], { radius: accuracy, weight: 1, fillOpacity: 0.1, interactive: false }).addTo(map);
  }

  /** A pin moved by hand: its place is the person's, and no longer the device's accuracy. */
  function dragged() {
    var at = marker.getLatLng();
    place(at.lat, at.lng, null, map.getZoom() >= CLOSE_ZOOM);
    say(checked ? "" : "Zoom in to check the pin before sending: at this zoom it may be far from the place.");
  }

  /** Typed coordinates: the pin goes there and the map follows it. */
  function fromInputs() {
    var lat = parseFloat(form.lat.value), lon = parseFloat(form.lon.value);
    if (!isFinite(lat) || !isFinite(lon)) return;
    place(lat, lon, parseFloat(form.accuracy_m.value) || null, true);
    if (map) map.setView([lat, lon], Math.max(map.getZoom(), 16), { animate: false });
  }

  function locate() {
    if (!navigator.geolocation) { say("This browser cannot tell where you are; tap the map instead."); return; }
    say("Finding where you are…");
    navigator.geolocation.getCurrentPosition(function (pos) {
      var c = pos.coords;
      place(c.latitude, c.longitude, c.accuracy, true);
      if (map) {
        if (circle) map.fitBounds(circle.getBounds(), { maxZoom: 17, animate: false });
        else map.setView([c.latitude, c.longitude], 17, { animate: false });
      }
      say("Placed where your device says you are, to within " + Math.round(c.accuracy) + " m. Drag the pin if it is off.");
    }, function (err) {
      say(err.code === 1 ? "Location is not allowed for this page; tap the map instead." :
        "Your location could not be found; tap the map instead.");
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
  }

  /** Whether the pin was placed on a zoomed-out map and not checked since. */
  function needsCheck() { return !checked && form.lat.value !== ""; }

  /** Zoom to the pin so it can be checked: seen close up, it counts as checked (it can still
   * be dragged). */
  function showPin() {
    checked = true;
    if (map && marker) map.setView(marker.getLatLng(), Math.max(map.getZoom(), 16), { animate: false });
    document.getElementById("pin-map").scrollIntoView({ block: "center" });
  }

  /** Remember where the last report was, for the next visit's first view. */
  function remember(lat, lon) { localStorage.setItem(PLACE_KEY, JSON.stringify({ lat: lat, lon: lon })); }

  CivicMap.pin = { init: init, place: place, needsCheck: needsCheck, confirm: function () { checked = true; },
    showPin: showPin, remember: remember, map: function () { return map; } };
})();
