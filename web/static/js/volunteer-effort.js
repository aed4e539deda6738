/* "I looked here": observer effort from the volunteer page, so that a map can tell "nobody
 * found anything here" from "nobody looked here".
 *
 * A visit is a Point (one look at the pinned place) or a LineString (a walk recorded with the
 * device's location). Visits go through the outbox like reports (POST /effort, idempotent by
 * client_id). A walk being recorded is kept in localStorage at every fix, so that a reload or
 * a crash loses nothing; it becomes a visit when the volunteer stops it. */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});
  var u = CivicMap.util;
  var WALK_KEY = "civicmap.walk.v1";
  var WORST_ACCURACY_M = 50; // a fix vaguer than this would count cells the volunteer never saw
  var MIN_STEP_M = 5;        // closer fixes are the device's jitter, not a step
  // The API takes 20,000 points (mapping/reports/effort.py MAX_TRACK_POINTS), but every fix rewrites
  // the kept walk and the body limit is 1 MiB: past this many, every second point is dropped.
  var MAX_POINTS = 2000;
  var MAX_VISIT_MS = 23.5 * 3600 * 1000; // a visit lasts 24 h at most (API)
  var KINDS = { service: "public services", litter: "beach litter", hotspot: "community hotspots" };
  var form, options, walk = null, watchId = null, wakeLock = null;

  function init(opts) {
    options = opts;
    form = opts.form;
    document.getElementById("looked-here").addEventListener("click", lookedHere);
    document.getElementById("walk-start").addEventListener("click", startWalk);
    document.getElementById("walk-stop").addEventListener("click", stopWalk);
    document.addEventListener("visibilitychange", function () { if (walk && document.visibilityState === "visible") keepAwake(); });
    try { walk = JSON.parse(localStorage.getItem(WALK_KEY) || "null"); } catch (e) { walk = null; }
    if (walk) {
      say("wait", "Your walk is still being recorded: what was recorded before is kept on this phone.");
      watch();
    }
    render();
  }

  // ---- visits --------------------------------------------------------------------------------

  function visit(geometry, kind, campaign, startedAt, endedAt) {
    var props = { kind: kind, started_at: startedAt, ended_at: endedAt, client_id: options.newClientId() };
    if (campaign) props.campaign = campaign;
    return { type: "Feature", geometry: geometry, properties: props };
  }

  function queue(feature) {
    CivicMap.outbox.add(feature, { type: "effort" });
    CivicMap.outbox.flush();
  }

  function pinned() {
    var lat = parseFloat(form.lat.value), lon = parseFloat(form.lon.value);
    if (!isFinite(lat) || !isFinite(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180) return null;
    return [lon, lat];
  }

  function clock(when) { return new Date(when).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); }

  function what(kind, campaign) {
    return (KINDS[kind] || kind) + (campaign ? " (campaign: " + CivicMap.campaigns.title(campaign) + ")" : "");
  }

  function kept() {
    return navigator.onLine ? "" : " It is kept on this phone and will be sent when you are back online.";
  }

  /** "I looked here and found nothing": a Point visit at the pin, now. */
  function lookedHere() {
    var at = pinned();
    if (!at) {
      say("bad", "Place the pin first (tap the map, use your location, or type the coordinates), then press again.");
      return;
    }
    if (CivicMap.pin && CivicMap.pin.needsCheck()) { askToCheckPin(); return; }
    var now = new Date().toISOString(), kind = form.kind.value, campaign = form.campaign.value;
    queue(visit({ type: "Point", coordinates: at }, kind, campaign, now, now));
    say("ok", "Recorded: you looked here for " + what(kind, campaign) + " at " + clock(now) + " and found nothing." + kept());
  }

  /** The pin was put on a zoomed-out map: a visit there would count the wrong place. */
  function askToCheckPin() {
    var box = document.getElementById("effort-status");
    box.textContent = "";
    box.appendChild(u.el("div", { class: "notice wait" },
      u.el("p", { text: "Your pin was put on the map while it was zoomed out, so it may be far from where you looked." }),
      u.el("div", { class: "actions" },
        u.el("button", { type: "button", id: "effort-check-pin", text: "Check the pin", onclick: function () {
          say("", "");
          CivicMap.pin.showPin();
        } }),
        u.el("button", { type: "button", class: "primary", text: "Count it as placed", onclick: function () {
          CivicMap.pin.confirm();
          lookedHere();
        } }))));
    document.getElementById("effort-check-pin").focus();
  }

  /** A Point visit beside a report (the report's place, kind, campaign and time); false when a
   * walk is being recorded, which covers that place already. */
  function countWithReport(report) {
    if (walk) return false;
    var p = report.properties;
    queue(visit({ type: "Point", coordinates: report.geometry.coordinates.slice(0, 2) }, p.kind, p.campaign, p.observed_at, p.observed_at));
    return true;
  }

  // ---- walks ---------------------------------------------------------------------------------

  function save() { localStorage.setItem(WALK_KEY, JSON.stringify(walk)); }

  function forget() {
    walk = null;
    localStorage.removeItem(WALK_KEY);
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    watchId = null;
    if (wakeLock) wakeLock.release().catch(function () { /* already released */ });
    wakeLock = null;
  }

  function startWalk() {
    if (!navigator.geolocation) {
      say("bad", "This browser cannot tell where you are, so it cannot record a walk. Use \u201cI looked here\u201d at each place instead.");
      return;
    }
    walk = { kind: form.kind.value, campaign: form.campaign.value, begun_at: new Date().toISOString(), points: [], distance_m: 0 };
    save();
    say("wait", "Recording your walk: looking for " + what(walk.kind, walk.campaign) + ". Keep this page open.");
    watch();
    render();
  }

  function watch() {
    if (watchId !== null || !navigator.geolocation) return;
    watchId = navigator.geolocation.watchPosition(fix, failed, { enableHighAccuracy: true, maximumAge: 5000, timeout: 60000 });
    keepAwake();
  }

  /** Most phones stop reporting positions to a page whose screen went off. */
  function keepAwake() {
    if (!navigator.wakeLock || wakeLock) return;
    navigator.wakeLock.request("screen").then(function (lock) { wakeLock = lock; lock.addEventListener("release", function () { wakeLock = null; }); },
      function () { /* not allowed: the walk records while the screen is on */ });
  }

  function fix(pos) {
    if (!walk) return;
    var c = pos.coords;
    if (c.accuracy > WORST_ACCURACY_M) {
      document.getElementById("walk-status").textContent = "Waiting for a closer location fix (this one is \u00b1" + Math.round(c.accuracy) + " m)…";
      return;
    }
    var point = [round(c.longitude), round(c.latitude), pos.timestamp || Date.now()];
    var last = walk.points[walk.points.length - 1];
    var step = last ? distance(last, point) : 0;
    if (last && step < MIN_STEP_M) return;
    walk.points.push(point);
    walk.distance_m += step;
    if (walk.points.length > MAX_POINTS) walk.points = thin(walk.points);
    save();
    render();
  }

  function failed(err) {
    if (!walk) return;
    if (err.code !== 1) {
      document.getElementById("walk-status").textContent = "Your location cannot be found right now; still trying…";
      return;
    }
    if (!walk.points.length) {
      forget();
      say("bad", "Location is not allowed for this page, so your walk cannot be recorded. Allow location for this site in the browser's settings, then press \u201cRecord my walk\u201d again.");
    } else {
      navigator.geolocation.clearWatch(watchId);
      watchId = null;
      say("bad", "Location stopped being allowed for this page. Press \u201cStop and save the walk\u201d to keep what was recorded.");
    }
    render();
  }

  function stopWalk() {
    if (!walk) return;
    var done = walk;
    forget();
    if (!done.points.length) {
      say("bad", "No position was recorded, so there is no walk to save.");
      render();
      return;
    }
    var now = Date.now(), parts = split(done.points, options.maxTrackM * 0.95, MAX_VISIT_MS);
    parts.forEach(function (part, i) {
      var first = part[0][2], last = part[part.length - 1][2];
      // The last piece lasts until now, unless that would make it longer than a visit may be.
      if (i === parts.length - 1 && now >= first && now - first <= MAX_VISIT_MS) last = now;
      var geometry = part.length > 1 ? { type: "LineString", coordinates: part.map(position) } : { type: "Point", coordinates: position(part[0]) };
      queue(visit(geometry, done.kind, done.campaign, new Date(first).toISOString(), new Date(last).toISOString()));
    });
    say("ok", "Recorded: you walked " + length(done.distance_m) + " looking for " + what(done.kind, done.campaign) +
      ", from " + clock(done.points[0][2]) + " to " + clock(now) + (parts.length > 1 ? " (saved as " + parts.length + " visits)" : "") + "." + kept());
    render();
  }

  function position(p) { return [p[0], p[1]]; }

  /** Pieces of the track, each within the API's length and duration per visit; each piece
   * starts where the one before ended. */
  function split(points, maxM, maxMs) {
    var parts = [], part = [points[0]], along = 0;
    for (var i = 1; i < points.length; i++) {
      var step = distance(points[i - 1], points[i]);
      if (part.length > 1 && (along + step > maxM || points[i][2] - part[0][2] > maxMs)) {
        parts.push(part);
        part = [points[i - 1]];
        along = 0;
      }
      part.push(points[i]);
      along += step;
    }
    parts.push(part);
    return parts;
  }

  function thin(points) {
    return points.filter(function (p, i) { return i % 2 === 0 || i === points.length - 1; });
  }

  function round(v) { return Math.round(v * 1e6) / 1e6; }

  /** Great-circle distance in metres between [lon, lat, ...] positions. */
  function distance(a, b) {
    var rad = Math.PI / 180, dLat = (b[1] - a[1]) * rad, dLon = (b[0] - a[0]) * rad;
    var h = Math.pow(Math.sin(dLat / 2), 2) + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.pow(Math.sin(dLon / 2), 2);
    return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  function length(m) { return m < 1000 ? Math.round(m) + " m" : (m / 1000).toFixed(2) + " km"; }

  // ---- what the fieldset says ----------------------------------------------------------------

  function say(kind, text) {
    var box = document.getElementById("effort-status");
    box.textContent = "";
    if (text) box.appendChild(u.el("p", { class: "notice " + kind, text: text }));
  }

  function render() {
    document.getElementById("walk-start").hidden = !!walk;
    document.getElementById("walk-stop").hidden = !walk;
    var status = document.getElementById("walk-status");
    status.textContent = walk ? "Recording: " + walk.points.length + (walk.points.length === 1 ? " point, " : " points, ") +
      length(walk.distance_m) + " walked." : "";
    status.setAttribute("data-points", walk ? String(walk.points.length) : "0");
  }

  CivicMap.effort = {
    init: init,
    countWithReport: countWithReport,
    recording: function () { return walk !== null; },
    say: say,
  };
})();
