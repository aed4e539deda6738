/* The planner map's controller: the filter form, loading and reloading the layers when the view,
 * the filters or the layer control change, the legend, and what to say when something fails.
 *
 * folium builds the map, its empty layer groups and the layer control; `start` takes them over.
 * Each layer's state is kept in `state[key]` ({status, count, note}); tests and the benchmark
 * read it through CivicMap.planner.state(key). */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});
  var u = CivicMap.util;
  var page = {};
  var state = {};
  var timings = { firstDrawn: null, drawn: {} };

  function start(map, groups, control) {
    page = { map: map, groups: groups, control: control, config: u.readConfig(), specs: {} };
    page.form = document.getElementById("filters");
    page.status = document.getElementById("map-status");
    CivicMap.layers.specs.forEach(function (s) { page.specs[s.key] = s; state[s.key] = { status: "off", count: 0 }; });
    // Areas lie under the hexagons and analyses, whichever was turned on last.
    map.createPane("civicmap-areas").style.zIndex = 350;
    // Without animation: an animated fit would end in a second `moveend`, and a second load.
    map.fitBounds(page.config.bounds, { animate: false });
    setUpForm();
    addLegend();
    controlsFirst(map);
    watchTiles();
    addDataAttribution();
    markUnavailable();
    map.on("overlayadd", function (e) { load(keyOf(e.layer)); });
    map.on("overlayremove", function (e) { unload(keyOf(e.layer)); });
    // A popup's own pan (Leaflet's autoPan, to show it whole) is not a new view: reloading the
    // layers for it would close the popup a moment after it opened. Each autopanstart ends in
    // one moveend (a popup that grows pans again, and stops its first pan, which ends it too);
    // the layers reload only when some move since the last reload was not a popup's.
    var popupPans = 0, viewMoved = false;
    map.on("autopanstart", function () { popupPans += 1; });
    // What a popup is about stays marked while it is open.
    map.on("popupopen", function (e) { highlight(e.popup._source, true); });
    map.on("popupclose", function (e) { highlight(e.popup._source, false); });
    var reloadSoon = u.debounce(function () {
      if (!viewMoved) return;
      viewMoved = false;
      reloadFollowingView();
    }, 250);
    map.on("moveend", function () {
      if (popupPans > 0) popupPans -= 1;
      else viewMoved = true;
      reloadSoon();
    });
    window.addEventListener("online", reloadAll);
    reloadAll();
  }

  /** The map's controls (zoom, layers, legend) come before its markers in the tab order, and
   * the layer control can be reached by a skip link. */
  function controlsFirst(map) {
    var box = map.getContainer(), controls = box.querySelector(".leaflet-control-container");
    box.insertBefore(controls, box.firstChild);
    var toggle = controls.querySelector(".leaflet-control-layers-toggle");
    if (toggle) toggle.id = "layer-control";
  }

  function highlight(layer, on) {
    if (!layer || !layer.setStyle) return;
    if (on) {
      layer._civicmapStyle = { color: layer.options.color, weight: layer.options.weight, dashArray: layer.options.dashArray };
      layer.setStyle({ color: "#000000", weight: 3, dashArray: null });
      if (layer.bringToFront) layer.bringToFront();
    } else if (layer._civicmapStyle) {
      layer.setStyle(layer._civicmapStyle);
    }
  }

  function keyOf(layer) {
    return Object.keys(page.groups).filter(function (k) { return page.groups[k] === layer; })[0];
  }

  // ---- the form ------------------------------------------------------------------------------

  function setUpForm() {
    var f = page.form;
    fillOptions(f.coverage_category, page.config.taxonomy.service, "health_facility");
    offerAnalysisSizes(f.analysis_resolution);
    readUrlInto(f);
    fillCategories();
    f.kind.addEventListener("change", fillCategories);
    f.addEventListener("submit", function (e) { e.preventDefault(); writeUrlFrom(f); reloadAll(); });
    f.addEventListener("reset", function () { setTimeout(function () { fillCategories(); writeUrlFrom(f); reloadAll(); }, 0); });
    ["resolution", "level", "indicator", "colour", "analysis_resolution", "coverage_category"].forEach(function (name) {
      f[name].addEventListener("change", function () { writeUrlFrom(f); reloadAll(); });
    });
    // Opening or shutting the panel resizes the map's box on phones.
    document.getElementById("filters-panel").addEventListener("toggle", function () { page.map.invalidateSize(); });
  }

  /** Hexagon sizes the study area holds too many of for one answer are shown, not offered. */
  function offerAnalysisSizes(select) {
    var cells = page.config.analysisCells || {}, most = page.config.maxAnalysisCells;
    Array.prototype.forEach.call(select.options, function (o) {
      var n = cells[o.value];
      if (n && most && n > most) {
        o.disabled = true;
        o.textContent += " (about " + u.number(n) + " hexagons: too many for one answer)";
      }
    });
    if (select.selectedOptions[0] && select.selectedOptions[0].disabled) {
      var usable = Array.prototype.filter.call(select.options, function (o) { return !o.disabled; });
      if (usable.length) select.value = usable[usable.length - 1].value;
    }
  }

  function fillOptions(select, entries, selected) {
    entries.forEach(function (c) {
      select.appendChild(u.el("option", { value: c.code, selected: c.code === selected, text: c.label }));
    });
  }

  /** Category choices follow the kind; with no kind, every category, grouped by kind. */
  function fillCategories() {
    var select = page.form.category, keep = select.value || select.dataset.initial || "";
    var tax = page.config.taxonomy, kind = page.form.kind.value;
    var groups = { service: tax.service, litter: tax.litter_surveys, hotspot: tax.hotspot };
    select.textContent = "";
    select.appendChild(u.el("option", { value: "", text: "All categories" }));
    Object.keys(groups).forEach(function (k) {
      if (kind && k !== kind) return;
      var group = u.el("optgroup", { label: k });
      fillOptions(group, groups[k], keep);
      select.appendChild(group);
    });
    select.value = keep;
    if (select.value !== keep) select.value = "";
    delete select.dataset.initial;
  }

  var URL_FIELDS = ["kind", "category", "since", "until", "campaign", "resolution", "level", "indicator",
    "colour", "coverage_category", "max_distance_m", "analysis_resolution"];

  function readUrlInto(f) {
    var q = new URLSearchParams(window.location.search);
    URL_FIELDS.forEach(function (name) {
      if (!q.has(name)) return;
      if (name === "category") f.category.dataset.initial = q.get(name);
      else f[name].value = q.get(name);
    });
  }

  function writeUrlFrom(f) {
    var q = new URLSearchParams();
    URL_FIELDS.forEach(function (name) { if (f[name].value && f[name].value !== f[name].defaultValue) q.set(name, f[name].value); });
    var search = q.toString();
    window.history.replaceState(null, "", window.location.pathname + (search ? "?" + search : ""));
  }

  function dayAfter(date) {
    var d = new Date(date + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10) + "T00:00:00Z";
  }

  function filtersOf(f) {
    return {
      kind: f.kind.value,
      category: f.category.value,
      since: f.since.value ? f.since.value + "T00:00:00Z" : "",
      // The API's `until` is exclusive; the form's "To" day is meant to count.
      until: f.until.value ? dayAfter(f.until.value) : "",
      campaign: f.campaign.value.trim(),
    };
  }

  function bboxOf(map) {
    var b = map.getBounds(), clamp = function (v, m) { return Math.max(-m, Math.min(m, v)); };
    return [clamp(b.getWest(), 180), clamp(b.getSouth(), 90), clamp(b.getEast(), 180), clamp(b.getNorth(), 90)]
      .map(function (v) { return v.toFixed(5); }).join(",");
  }

  /** The view as a bbox, or "" while it shows all the areas: a bbox then selects no fewer
   * hexagons, but costs the server a spatial lookup of every report. */
  function bboxFor(map) {
    return map.getBounds().contains(L.latLngBounds(page.config.bounds)) ? "" : bboxOf(map);
  }

  function context() {
    var f = page.form, z = page.map.getZoom(), auto = CivicMap.layers.resolutionForZoom(z);
    return {
      api: page.config.api,
      config: page.config,
      zoom: z,
      bbox: bboxFor(page.map),
      hexResolution: f.resolution.value === "auto" ? auto : Number(f.resolution.value),
      clusterResolution: Math.max(2, auto - 1),
      analysisResolution: Number(f.analysis_resolution.value),
      level: Number(f.level.value),
      indicator: f.indicator.value,
      colourBy: f.colour.value,
      coverage: { category: f.coverage_category.value, distance: Number(f.max_distance_m.value) || 5000 },
      filters: filtersOf(f),
    };
  }

  // ---- loading layers ----------------------------------------------------------------------

  var viewers = [];

  /** Call `fn(ctx)` for the view and filters now, and whenever they change. */
  function onView(fn) {
    viewers.push(fn);
    if (page.map) fn(context());
  }

  function reloadAll() { Object.keys(page.specs).forEach(load); tellViewers(); }

  function reloadFollowingView() {
    Object.keys(page.specs).forEach(function (k) { if (page.specs[k].followsView) load(k); });
    tellViewers();
  }

  var toldView = null;

  /** Tell the viewers of a new view or new report filters; other settings are not theirs. */
  function tellViewers() {
    if (!viewers.length) return;
    var ctx = context(), seen = ctx.bbox + " " + JSON.stringify(ctx.filters);
    if (seen === toldView) return;
    toldView = seen;
    viewers.forEach(function (fn) { fn(ctx); });
  }

  function load(key) {
    var spec = page.specs[key], st = state[key], group = page.groups[key];
    if (!spec || !page.map.hasLayer(group)) return;
    if (st.abort) st.abort.abort();
    if (spec.analysis && !page.config.analyses[key]) return setState(key, "unavailable", 0, "not available on this server yet");
    var ctx = context(), url = spec.url(ctx);
    if (!url) { group.clearLayers(); return setState(key, "skipped", 0, spec.skippedNote); }
    var abort = (st.abort = new AbortController());
    st.since = performance.now();
    setState(key, "loading", st.count, null);
    u.getJSON(url, { signal: abort.signal }).then(function (res) {
      if (!abort.signal.aborted) received(key, url, ctx, res);
    }).catch(function (err) {
      if (err && err.name === "AbortError") return;
      setState(key, "error", 0, "could not reach the server; the layer reloads when the connection is back");
    });
  }

  function received(key, url, ctx, res) {
    var spec = page.specs[key], group = page.groups[key];
    if (res.status === 404 && spec.analysis) {
      page.config.analyses[key] = false;
      markUnavailable();
      return setState(key, "unavailable", 0, "not available on this server yet");
    }
    group.clearLayers();
    if (!res.ok) return setState(key, "error", 0, friendly(res));
    spec.lastUrl = url;
    var out = spec.draw(res.body, ctx);
    group.addLayer(out.layer);
    state[key].legend = out.legend;
    state[key].classes = out.classes || null;
    // Count it drawn once the browser has painted the frame that holds it.
    requestAnimationFrame(function () {
      requestAnimationFrame(function () { drawn(key, out); });
    });
  }

  /** One line a planner can act on, for an answer that is not a layer. */
  function friendly(res) {
    var body = res.body || {};
    var about = (body.errors || []).map(function (e) { return (e.loc || []).join("."); }).join(" ");
    if (res.status === 400 && /resolution/.test(about)) {
      return "Too many hexagons at this size: choose a larger hexagon size.";
    }
    if (res.status >= 500) return "The server could not draw this layer just now; try again in a moment.";
    var detail = String(body.detail || body.title || "the server answered " + res.status);
    return "Not drawn: " + detail.split(/(?<=\.)\s/)[0];
  }

  function drawn(key, out) {
    var now = performance.now();
    if (timings.firstDrawn === null) {
      timings.firstDrawn = now;
      if (performance.mark) performance.mark("civicmap-first-layer");
    }
    timings.drawn[key] = now;
    setState(key, "drawn", out.count, out.note || null);
  }

  function unload(key) {
    var st = state[key];
    if (st.abort) st.abort.abort();
    page.groups[key].clearLayers();
    setState(key, "off", 0, null);
  }

  function setState(key, status, count, note) {
    var st = state[key];
    st.status = status;
    st.count = count || 0;
    st.note = note;
    if (status !== "drawn") st.legend = null;
    renderLegend();
    renderStatus();
  }

  // ---- what the page says ----------------------------------------------------------------------

  function renderStatus() {
    var loading = [], computing = [], problems = [];
    Object.keys(page.specs).forEach(function (k) {
      var st = state[k], spec = page.specs[k];
      if (st.status === "loading") (spec.analysis ? computing : loading).push(k);
      if (st.status === "error") problems.push(spec.title + ": " + st.note);
    });
    var titles = function (keys) { return keys.map(function (k) { return page.specs[k].title.toLowerCase(); }).join(", "); };
    var text = [loading.length ? "Loading " + titles(loading) + "…" : ""].concat(problems).filter(Boolean).join(" ");
    if (!page.statusText) {
      page.statusText = page.status.appendChild(u.el("span", {}));
    }
    page.statusText.textContent = text;
    // The progress line stays as it is while the same analyses run, so that a keyboard on its
    // Cancel button keeps its place when other layers load.
    var running = computing.join(" ");
    if (running !== page.running) {
      if (page.progress) page.status.removeChild(page.progress);
      page.progress = computing.length ? page.status.insertBefore(progress(computing, titles(computing)), page.statusText) : null;
      page.running = running;
    }
    page.status.hidden = !text && !computing.length;
    tick(computing.length > 0);
  }

  /** An analysis at work: how long it has run, and a button that stops it. */
  function progress(keys, titles) {
    var since = Math.min.apply(null, keys.map(function (k) { return state[k].since; }));
    return u.el("span", { class: "analysis-progress" },
      u.el("progress", { "aria-label": "Computing " + titles }),
      " Computing " + titles + "… ",
      u.el("span", { class: "elapsed", "aria-hidden": "true", "data-since": since }),
      u.el("button", { type: "button", id: "cancel-analysis", text: "Cancel", onclick: function () {
        // Turning the layer off aborts its request; turning it on again asks again.
        keys.forEach(function (k) { page.map.removeLayer(page.groups[k]); });
      } }));
  }

  var ticker = null;

  /** Count the seconds of a running analysis, once a second, while there is one. */
  function tick(on) {
    if (!on) { clearInterval(ticker); ticker = null; return; }
    var show = function () {
      var el = page.status.querySelector(".elapsed");
      if (el) el.textContent = Math.round((performance.now() - Number(el.getAttribute("data-since"))) / 1000) + " s ";
    };
    show();
    if (!ticker) ticker = setInterval(show, 1000);
  }

  function addLegend() {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var wide = !(window.matchMedia && window.matchMedia("(max-width: 700px)").matches);
      var box = u.el("details", { class: "legend", open: wide }, u.el("summary", { text: "Legend" }));
      page.legendBody = u.el("div", { class: "legend-body" });
      box.appendChild(page.legendBody);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    control.addTo(page.map);
  }

  function renderLegend() {
    var body = page.legendBody;
    if (!body) return;
    body.textContent = "";
    Object.keys(page.specs).forEach(function (k) {
      var st = state[k], spec = page.specs[k];
      if (st.status === "off") return;
      if (st.legend) body.appendChild(st.legend);
      if (st.note || !st.legend) {
        body.appendChild(u.el("p", { class: "legend-note" }, u.el("strong", { text: spec.title + ": " }),
          st.note || (st.status === "loading" ? "loading…" : st.status)));
      }
    });
    if (!body.childNodes.length) body.appendChild(u.el("p", { class: "legend-note", text: "Turn on a layer in the layer control." }));
  }

  /** Analyses this server does not have yet: say so in the layer control, and never ask. */
  function markUnavailable() {
    Object.keys(page.config.analyses).forEach(function (key) {
      var group = page.groups[key];
      if (page.config.analyses[key] || !group || group._civicmapMarked) return;
      group._civicmapMarked = true;
      page.control.removeLayer(group);
      page.control.addOverlay(group, page.specs[key].title + ' <em class="unavailable">(not available yet)</em>');
    });
  }

  function addDataAttribution() {
    var text = u.el("span", { text: "Reports: CivicMap contributors, " + page.config.license });
    page.map.attributionControl.addAttribution(text.outerHTML);
  }

  /** Without background tiles the data layers still work: say so once, and carry on. */
  function watchTiles() {
    page.map.eachLayer(function (layer) {
      if (!(layer instanceof L.TileLayer)) return;
      layer.once("tileerror", function () {
        var note = L.control({ position: "bottomleft" });
        note.onAdd = function () {
          return u.el("p", { class: "tile-note", role: "status", text: "Background map unavailable; the data layers still work." });
        };
        note.addTo(page.map);
      });
    });
  }

  CivicMap.planner = {
    start: start,
    state: function (key) {
      var s = state[key] || {};
      return { status: s.status, count: s.count, note: s.note, classes: s.classes || null };
    },
    timings: timings,
    onView: onView,
    map: function () { return page.map; },
  };
})();
