/* The outbox: what a volunteer sends waits in the browser until the server has confirmed it.
 *
 * An item enters the outbox before the first attempt to send it and leaves only when the
 * server answered 201 (stored) or 200 (already stored), so nothing is lost to a bad
 * connection. Each keeps the client_id it was given when written; sending it again, from this
 * tab or another, after a lost answer or a crash, is answered 200 with the stored record and
 * stores nothing new (API.md, idempotent submission), so nothing is stored twice.
 *
 * Items are reports (POST /reports), visits, "I looked here" (POST /effort), or responses to
 * a campaign's questionnaire (POST /forms/{form_id}/responses, the version answered and the
 * client_id in the body). A report's
 * photos wait in IndexedDB (photo-store.js) under its client_id, are sent byte for byte the
 * same on every attempt, and are removed when the report leaves the outbox. */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});
  var QUEUE = "civicmap.outbox.v1";
  var MINE = "civicmap.mine.v1";
  var RETRY_MS = 30000;
  var PATHS = { report: "/reports", effort: "/effort" };
  var EXTENSIONS = { "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp" };
  var listeners = [];
  var sentListeners = [];
  var sending = null;
  var api = "/api/v1";

  function read(key) {
    try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; }
  }

  function write(key, value) {
    localStorage.setItem(key, JSON.stringify(value));
    changed();
  }

  function changed() { listeners.forEach(function (fn) { fn(); }); }

  function items() { return read(QUEUE); }

  /** Items saved before visits existed are reports. */
  function typeOf(item) { return item.type || "report"; }

  /** Put a Feature in the outbox: a report, or with `{type: "effort"}` a visit. `photos` is
   * how many photos photo-store.js already keeps for it. */
  function add(feature, options) {
    var queue = items(), item = { type: (options && options.type) || "report", client_id: feature.properties.client_id,
      feature: feature, queued_at: new Date().toISOString() };
    if (options && options.photos) item.photos = options.photos;
    queue.push(item);
    write(QUEUE, queue);
  }

  /** Put a response to a questionnaire in the outbox: `response` has `form_id`, `body` (the
   * answers, version and client_id, as POSTed), and `campaign` and `title` to tell of it. */
  function addResponse(response) {
    var queue = items();
    queue.push({ type: "response", client_id: response.body.client_id, form_id: response.form_id,
      campaign: response.campaign, title: response.title, body: response.body, queued_at: new Date().toISOString() });
    write(QUEUE, queue);
  }

  function pathOf(item) {
    if (typeOf(item) === "response") return "/forms/" + encodeURIComponent(item.form_id) + "/responses";
    return PATHS[typeOf(item)];
  }

  /** Put a report with photos (Blobs, in order) in the outbox: the photos are stored first, so
   * that no tab ever sees the report without them. Rejects when they could not be kept, and
   * then nothing was queued. */
  function addReport(feature, photos) {
    if (!photos || !photos.length) { add(feature); return Promise.resolve(); }
    return CivicMap.photoStore.put(feature.properties.client_id, photos).then(function () {
      add(feature, { photos: photos.length });
    });
  }

  function remove(item) {
    write(QUEUE, items().filter(function (i) { return i.client_id !== item.client_id; }));
    if (item.photos) CivicMap.photoStore.remove(item.client_id).catch(function () { /* pruned at the next start */ });
  }

  function remember(entry) {
    var mine = read(MINE).filter(function (m) { return m.id !== entry.id; });
    mine.unshift(entry);
    write(MINE, mine.slice(0, 50));
  }

  /** The request of an item: JSON, or a form with the feature and its photos. */
  function request(item) {
    var headers = { "Idempotency-Key": item.client_id, Accept: "application/geo+json" };
    var kept = item.photos ? CivicMap.photoStore.get(item.client_id) : Promise.resolve([]);
    return kept.then(function (photos) {
      var req = { headers: headers, photos: photos, missing: photos.length < (item.photos || 0) };
      if (!photos.length) {
        headers["Content-Type"] = "application/json";
        req.body = JSON.stringify(typeOf(item) === "response" ? item.body : item.feature);
        return req;
      }
      // No Content-Type of our own: the browser writes it, with the multipart boundary.
      req.body = new FormData();
      req.body.append("feature", JSON.stringify(item.feature));
      photos.forEach(function (blob, i) {
        req.body.append("photo", blob, "photo-" + (i + 1) + "." + (EXTENSIONS[blob.type] || "jpg"));
      });
      return req;
    });
  }

  function stillQueued(item) {
    return items().some(function (i) { return i.client_id === item.client_id; });
  }

  /** POST one item; resolves to {outcome, ...}: created, duplicate, rejected, retry (or gone:
   * another tab sent it meanwhile). Rejects only when the network or the photo store failed,
   * and then the item stays in the outbox. */
  function send(item) {
    return request(item).then(function (req) {
      if (req.missing && !stillQueued(item)) return { outcome: "gone", photos: [] };
      return fetch(api + pathOf(item), { method: "POST", headers: req.headers, body: req.body })
        .then(function (response) {
          return response.json().catch(function () { return null; }).then(function (answer) {
            var result = { body: answer, status: response.status, photos: req.photos, photosMissing: req.missing };
            if (response.status === 201) result.outcome = "created";
            else if (response.status === 200) result.outcome = "duplicate";
            else if (response.status === 408 || response.status === 429 || response.status >= 500) result.outcome = "retry";
            else result.outcome = "rejected";
            return result;
          });
        });
    });
  }

  function settle(item, result) {
    var type = typeOf(item), p = type === "response" ? {} : item.feature.properties;
    if (type === "report" && (result.outcome === "created" || result.outcome === "duplicate")) {
      var answer = result.body || {};
      remember({ id: answer.id, receipt: answer.receipt || null, kind: p.kind, category: p.category,
        observed_at: p.observed_at, photos: item.photos || 0, sent_at: new Date().toISOString() });
    }
    if (result.outcome !== "retry" && result.outcome !== "gone") remove(item);
    return { type: type, client_id: item.client_id, outcome: result.outcome, body: result.body, status: result.status,
      feature: item.feature, item: item, photos: result.outcome === "rejected" ? result.photos : [], photosMissing: result.photosMissing };
  }

  /** Send what waits, oldest first, one at a time; stop at the first sign of trouble. */
  function sendAll() {
    var results = [];
    function next() {
      var queue = items();
      if (!queue.length || !navigator.onLine) return Promise.resolve(results);
      var item = queue[0];
      return send(item).then(function (result) {
        results.push(settle(item, result));
        return result.outcome === "retry" ? results : next();
      }, function () { return results; });
    }
    return next();
  }

  /** Send the outbox, after the send under way if there is one; across tabs, one at a time
   * where the browser has Web Locks (the client_id makes a rare overlap harmless anyway). */
  function flush() {
    // One under way may have looked at the outbox before the newest item came in: go again.
    if (sending) return sending.then(function () { return flush(); });
    if (!navigator.onLine || !items().length) return Promise.resolve([]);
    var run = navigator.locks ? function () { return navigator.locks.request("civicmap-outbox", sendAll); } : sendAll;
    sending = run().then(function (results) {
      sending = null;
      changed();
      if (results.length) sentListeners.forEach(function (fn) { fn(results); });
      return results;
    }, function () { sending = null; return []; });
    return sending;
  }

  function start(options) {
    api = (options && options.api) || api;
    window.addEventListener("online", flush);
    window.addEventListener("offline", changed);
    // Another tab changed the outbox: show it.
    window.addEventListener("storage", function (e) { if (e.key === QUEUE || e.key === MINE) changed(); });
    setInterval(function () { if (items().length) flush(); }, RETRY_MS);
    if (CivicMap.photoStore) {
      CivicMap.photoStore.prune(items().map(function (i) { return i.client_id; })).catch(function () { /* no store, nothing kept */ });
    }
    return flush();
  }

  CivicMap.outbox = {
    start: start,
    add: add,
    addReport: addReport,
    addResponse: addResponse,
    flush: flush,
    count: function () { return items().length; },
    /** How many reports, visits and responses wait. */
    counts: function () {
      var n = { report: 0, effort: 0, response: 0 };
      items().forEach(function (i) { n[typeOf(i)] = (n[typeOf(i)] || 0) + 1; });
      return n;
    },
    items: items,
    mine: function () { return read(MINE); },
    onChange: function (fn) { listeners.push(fn); },
    /** `fn(results)` after every send, whoever started it (a button, the network coming back,
     * the periodic retry): each result has type, client_id, outcome, body, status, feature
   * (of a report or visit) and item (as it waited). */
    onSent: function (fn) { sentListeners.push(fn); },
    isSending: function () { return sending !== null; },
  };
})();
