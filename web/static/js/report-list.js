/* The reports in view as a list beside the map: the same filters as the layers, a page at a
 * time (the API's cursor links), each item a button that opens the report's popup on the map.
 * It follows the view and the filters as the layers do (CivicMap.planner.onView). */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});
  var u = CivicMap.util;
  var K = CivicMap.layerKit;
  var PAGE = 20;
  var list = { ctx: null, pages: [], abort: null };

  function start() {
    var box = document.getElementById("report-list");
    if (!box || !CivicMap.planner) return;
    list.box = box;
    list.items = box.querySelector("ol");
    list.note = box.querySelector(".list-note");
    list.prev = box.querySelector("[data-page=prev]");
    list.next = box.querySelector("[data-page=next]");
    list.data = box.querySelector(".list-data");
    // A page at a time: a second click while one loads does nothing.
    list.prev.addEventListener("click", function () {
      if (list.busy || list.pages.length <= 1) return;
      list.pages.pop();
      fetchPage();
    });
    list.next.addEventListener("click", function () {
      if (list.busy || !list.nextUrl) return;
      list.pages.push(list.nextUrl);
      list.nextUrl = null;
      fetchPage();
    });
    [document.getElementById("show-list"), document.getElementById("skip-to-list")].forEach(function (b) {
      if (b) b.addEventListener("click", function (e) { e.preventDefault(); reveal(); });
    });
    CivicMap.planner.onView(function (ctx) {
      list.ctx = ctx;
      list.pages = [firstUrl(ctx)];
      if (panel().open) fetchPage();
    });
    panel().addEventListener("toggle", function () { if (panel().open && list.ctx) fetchPage(); });
  }

  function panel() { return list.box.closest("details"); }

  /** Open the list (on a phone the panel starts shut) and put the keyboard on its heading. */
  function reveal() {
    panel().open = true;
    var heading = document.getElementById("report-list-h");
    heading.focus();
    heading.scrollIntoView({ block: "nearest" });
  }

  function firstUrl(ctx) {
    var params = K.reportFilters(ctx);
    params.bbox = ctx.bbox;
    params.limit = PAGE;
    return ctx.api + "/reports?" + K.query(params);
  }

  function fetchPage() {
    var url = list.pages[list.pages.length - 1];
    if (list.abort) list.abort.abort();
    var abort = (list.abort = new AbortController());
    list.busy = true;
    list.prev.disabled = list.next.disabled = true;
    list.box.setAttribute("aria-busy", "true");
    list.note.textContent = "Loading the reports in view…";
    u.getJSON(url, { signal: abort.signal }).then(function (res) {
      if (abort.signal.aborted) return;
      list.busy = false;
      list.box.removeAttribute("aria-busy");
      if (!res.ok) { show([], null); list.prev.disabled = list.pages.length <= 1; list.note.textContent = "The list could not be loaded: " + u.problemText(res.body, res.status); return; }
      var next = (res.body.links || []).filter(function (l) { return l.rel === "next"; })[0];
      show(res.body.features || [], next ? next.href : null);
    }).catch(function (err) {
      if (err && err.name === "AbortError") return;
      list.busy = false;
      list.prev.disabled = list.pages.length <= 1;
      list.box.removeAttribute("aria-busy");
      list.note.textContent = "The list could not be loaded: no connection to the server.";
    });
  }

  function show(features, nextUrl) {
    list.nextUrl = nextUrl;
    list.data.href = list.pages[list.pages.length - 1];
    list.items.textContent = "";
    var first = (list.pages.length - 1) * PAGE;
    features.forEach(function (f) { list.items.appendChild(item(f)); });
    list.items.setAttribute("start", String(first + 1));
    list.note.textContent = features.length ?
      "Reports " + (first + 1) + " to " + (first + features.length) + (nextUrl ? ", and more" : "") + " in the map's view, in the order they came in." :
      "No reports in view with these filters.";
    list.prev.disabled = list.pages.length <= 1;
    list.next.disabled = !nextUrl;
  }

  /** A report as a line a person reads: category, what it says, and when; a button that
   * opens its popup on the map. */
  function item(f) {
    var p = f.properties, a = p.attributes || {};
    var what = [K.categoryLabel(list.ctx.config, p.kind, p.category)];
    if (a.name) what.push(a.name);
    if (a.status) what.push(K.STATUS_WORDS[a.status] || a.status);
    if (a.severity) what.push("severity " + a.severity);
    var items = Object.keys(a.items || {}).reduce(function (sum, k) { return sum + a.items[k]; }, 0);
    if (a.survey_length_m) what.push(u.number((100 * items) / a.survey_length_m, 1) + " items per 100 m");
    var about = [K.KIND_WORDS[p.kind].replace(/s$/, ""), (p.observed_at || "").slice(0, 10)];
    return u.el("li", { "data-id": f.id }, u.el("button", { type: "button", class: "list-item", onclick: function () { open(f); } },
      u.el("span", { class: "list-what", text: what.join(" · ") }),
      u.el("span", { class: "list-when", text: about.join(" · ") })));
  }

  function open(f) {
    var c = f.geometry.coordinates, map = CivicMap.planner.map();
    var content = CivicMap.reportPopup(f.properties.kind, f, list.ctx);
    L.popup({ autoPan: true }).setLatLng([c[1], c[0]]).setContent(content).openOn(map);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
