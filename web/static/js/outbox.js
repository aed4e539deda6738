/* The outbox: reports wait in the browser (localStorage) until the server has confirmed them.
 *
 * A report enters the outbox before the first attempt to send it and leaves only when the
 * server answered 201 (stored) or 200 (already stored), so a report is never lost to a bad
 * connection. Each keeps the client_id it was given when written; sending it again, from this
 * tab or another, after a lost answer or a crash, is answered 200 with the stored report and
 * stores nothing new (API.md, idempotent submission), so nothing is stored twice. */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});
  var QUEUE = "civicmap.outbox.v1";
  var MINE = "civicmap.mine.v1";
  var RETRY_MS = 30000;
  var listeners = [];
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

  function add(feature) {
    var queue = items();
    queue.push({ client_id: feature.properties.client_id, feature: feature, queued_at: new Date().toISOString() });
    write(QUEUE, queue);
  }

  function remove(clientId) {
    write(QUEUE, items().filter(function (i) { return i.client_id !== clientId; }));
  }

  function remember(entry) {
    var mine = read(MINE).filter(function (m) { return m.id !== entry.id; });
    mine.unshift(entry);
    write(MINE, mine.slice(0, 50));
  }

  /** POST one report; resolves to {outcome, ...}: created, duplicate, rejected, retry. Rejects
   * only when the network failed, and then the report simply stays in the outbox. */
  function send(item) {
    return fetch(api + "/reports", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": item.client_id, Accept: "application/geo+json" },
      body: JSON.stringify(item.feature),
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        if (response.status === 201) return { outcome: "created", body: body };
        if (response.status === 200) return { outcome: "duplicate", body: body };
        if (response.status === 429 || response.status >= 500) return { outcome: "retry", body: body };
        return { outcome: "rejected", body: body, status: response.status };
      });
    });
  }

  function settle(item, result) {
    var p = item.feature.properties;
    if (result.outcome === "created" || result.outcome === "duplicate") {
      var body = result.body || {};
      remember({ id: body.id, receipt: body.receipt || null, kind: p.kind, category: p.category,
        observed_at: p.observed_at, sent_at: new Date().toISOString() });
    }
    if (result.outcome !== "retry") remove(item.client_id);
    return { client_id: item.client_id, outcome: result.outcome, body: result.body, status: result.status };
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

  /** Send the outbox unless a send is under way; across tabs, one at a time where the browser
   * has Web Locks (the client_id makes a rare overlap harmless anyway). */
  function flush() {
    if (sending) return sending;
    if (!navigator.onLine || !items().length) return Promise.resolve([]);
    var run = navigator.locks ? function () { return navigator.locks.request("civicmap-outbox", sendAll); } : sendAll;
    sending = run().then(function (results) { sending = null; changed(); return results; },
      function () { sending = null; return []; });
    return sending;
  }

  function start(options) {
    api = (options && options.api) || api;
    window.addEventListener("online", flush);
    window.addEventListener("offline", changed);
    // Another tab changed the outbox: show it.
    window.addEventListener("storage", function (e) { if (e.key === QUEUE || e.key === MINE) changed(); });
    setInterval(function () { if (items().length) flush(); }, RETRY_MS);
    return flush();
  }

  CivicMap.outbox = {
    start: start,
    add: add,
    flush: flush,
    count: function () { return items().length; },
    items: items,
    mine: function () { return read(MINE); },
    onChange: function (fn) { listeners.push(fn); },
    isSending: function () { return sending !== null; },
  };
})();
