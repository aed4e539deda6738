/* CivicMap's service worker: keeps the volunteer page and what it needs, so that it opens with
 * no connection. Only /report, our static files, the taxonomy and the list of campaigns are
 * touched; every other request, and every POST, goes to the network as if there were no
 * service worker. */
"use strict";
var VERSION = {{ version|tojson }};
var CACHE = "civicmap-" + VERSION;
var ASSETS = {{ assets|tojson }};
var PAGE = "/report";
var TAXONOMY = "/api/v1/taxonomy";
var CAMPAIGNS = "/api/v1/campaigns";
var ACTIVE_CAMPAIGNS = CAMPAIGNS + "?active=true";
var NETWORK_TIMEOUT_MS = 4000;  // on a bad connection, the saved page beats a long wait

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    // The campaigns are a bonus: the page keeps its own copy too, and works without any.
    return cache.addAll(ASSETS.concat([PAGE, TAXONOMY])).then(function () {
      return cache.add(ACTIVE_CAMPAIGNS).catch(function () { /* fetched when the page asks */ });
    });
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("civicmap-") === 0 && n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === PAGE) event.respondWith(networkFirst(request, PAGE));
  else if (url.pathname === TAXONOMY) event.respondWith(networkFirst(request, TAXONOMY));
  else if (url.pathname === CAMPAIGNS) event.respondWith(networkFirst(request, CAMPAIGNS + url.search));
  else if (url.pathname.indexOf("/static/") === 0) event.respondWith(cacheFirst(request));
});

/** The network's answer, kept for next time; the kept one when the network fails or dawdles. */
function networkFirst(request, key) {
  return caches.open(CACHE).then(function (cache) {
    var fromNetwork = fetch(request).then(function (response) {
      if (response.ok) cache.put(key, response.clone());
      return response;
    });
    var timeout = new Promise(function (resolve) { setTimeout(resolve, NETWORK_TIMEOUT_MS); });
    var fallback = function () {
      return cache.match(key).then(function (kept) { return kept || fromNetwork; });
    };
    return Promise.race([fromNetwork, timeout.then(fallback)]).then(function (r) { return r || fallback(); }, fallback);
  });
}

/** Static files carry their version in the URL and each version has its own cache, so a kept
 * copy is the right one; the query is ignored for the few files Leaflet asks for unversioned. */
function cacheFirst(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request, { ignoreSearch: true }).then(function (kept) {
      return kept || fetch(request).then(function (response) {
        if (response.ok) cache.put(request, response.clone());
        return response;
      });
    });
  });
}
