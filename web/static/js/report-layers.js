/* Report layers of the planner map (service points, hotspot reports, litter surveys). Zoomed
 * out they draw the API's hexagon aggregates as clusters, so what is sent is bounded by what is
 * drawn however many reports there are; from POINT_ZOOM on, single reports, clustered. */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});
  var u = CivicMap.util;
  var C = CivicMap.classes;
  var K = CivicMap.layerKit;
  var legend = K.legend, popup = K.popup, indicatorRows = K.indicatorRows, suppressionNote = K.suppressionNote;
  var filterNote = K.filterNote, query = K.query, reportFilters = K.reportFilters;
  var format = K.format, MEASURES = K.MEASURES, KIND_WORDS = K.KIND_WORDS, STATUS_WORDS = K.STATUS_WORDS;

  var POINT_ZOOM = 12; // from here on, single reports; below, server-side clusters
  var POINT_LIMIT = 1000;
  var STATUSES = ["operational", "partly", "closed"];

  /** A bubble of `count` reports, painted with `paint` (a colour, or a CSS gradient). */
  function bubbleIcon(count, paint) {
    var size = count === null ? 16 : Math.round(22 + 6 * Math.log10(Math.max(count, 1)));
    var text = count === null ? "–" : count >= 10000 ? Math.round(count / 1000) + "k" : String(count);
    return L.divIcon({
      className: "cm-bubble" + (count === null ? " suppressed" : ""),
      html: '<span style="background:' + paint + ";width:" + size + "px;height:" + size + "px;line-height:" + size + 'px">' + text + "</span>",
      iconSize: [size, size],
    });
  }

  function dotIcon(colour) {
    return L.divIcon({ className: "cm-dot", html: '<span style="background:' + colour + '"></span>', iconSize: [16, 16] });
  }

  /** What colours a kind's clusters: the indicator of its aggregates, and its classes. */
  function clusterMeasure(kind) {
    return { service: "satisfied_share", litter: "items_per_100m", hotspot: "mean_severity" }[kind];
  }

  function drawClusters(kind, body, ctx) {
    var byStatus = kind === "service" && ctx.colourBy === "status";
    var measure = clusterMeasure(kind), m = MEASURES[measure];
    var countOf = function (f) { return f.properties[{ service: "services", litter: "surveys", hotspot: "hotspots" }[kind]]; };
    // Hexagons where observers looked and found nothing come with a count of 0: no bubble.
    var features = body.features.filter(function (f) { return countOf(f) !== 0; });
    var breaks = C.breaksFor(measure, features.map(function (f) { return f.properties[measure]; }));
    var colours = C.coloursFor(ctx.config.palettes[m.palette], breaks.length);
    var group = L.layerGroup();
    features.forEach(function (f) {
      var p = f.properties, count = countOf(f);
      var i = C.classOf(p[measure], breaks);
      var paint = byStatus ? statusPie(p, count, ctx) : i < 0 ? ctx.config.palettes.suppressed : colours[i];
      var centre = L.geoJSON(f).getBounds().getCenter();
      var marker = L.marker(centre, { icon: bubbleIcon(count, paint),
        title: (count === null ? "suppressed" : count) + " " + KIND_WORDS[kind] + (p.place ? " in " + p.place : ""), keyboard: true });
      marker.bindPopup(function () {
        var rows = indicatorRows(p);
        if (byStatus) rows = statusRows(p).concat(rows);
        return popup(p.place || KIND_WORDS[kind] + " near here", rows, suppressionNote(p, ctx));
      });
      group.addLayer(marker);
    });
    var notes = ["Zoomed out, " + KIND_WORDS[kind] + " are grouped by H3 hexagon (resolution " + ctx.clusterResolution +
      "); the number is how many. Zoom in to see each one.", filterNote(ctx)];
    if (byStatus) {
      notes.unshift("Each bubble is divided by the status its reports give.");
      return { layer: group, count: features.length, legend: legend("Colour: status of service points", statusLegendRows(ctx), notes, null) };
    }
    var rows = C.legendRows(breaks, colours, function (x) { return format(measure, x); });
    rows.push({ colour: ctx.config.palettes.suppressed, label: "no figure: suppressed or too few" });
    return { layer: group, count: features.length, legend: legend("Colour: " + m.label, rows, notes, null) };
  }

  /** A bubble's paint by status: a pie of the shares of working, partly working and closed,
   * and of the reports that give no status. */
  function statusPie(p, count, ctx) {
    var colours = ctx.config.palettes.status, total = Number(count) || 0, stops = [], from = 0;
    if (!total) return ctx.config.palettes.suppressed;
    STATUSES.forEach(function (s) {
      var n = Number(p["status_" + s]) || 0;
      if (!n) return;
      var to = from + (100 * n) / total;
      stops.push(colours[s] + " " + from.toFixed(1) + "% " + to.toFixed(1) + "%");
      from = to;
    });
    if (from < 99.95) stops.push(ctx.config.palettes.status_unknown + " " + from.toFixed(1) + "% 100%");
    return "conic-gradient(" + stops.join(", ") + ")";
  }

  function statusRows(p) {
    return STATUSES.map(function (s) { return ["Reported " + STATUS_WORDS[s], u.number(p["status_" + s] || 0)]; });
  }

  function statusLegendRows(ctx) {
    var rows = STATUSES.map(function (s) { return { colour: ctx.config.palettes.status[s], label: STATUS_WORDS[s] }; });
    rows.push({ colour: ctx.config.palettes.status_unknown, label: "status not given" });
    return rows;
  }

  function pointColour(kind, props, ctx) {
    var a = props.attributes || {}, palettes = ctx.config.palettes;
    if (kind === "service" && ctx.colourBy === "satisfaction") {
      return a.satisfaction ? palettes.satisfaction[a.satisfaction - 1] : palettes.suppressed;
    }
    if (kind === "service") return palettes.status[a.status] || palettes.status_unknown;
    if (kind === "hotspot") return palettes.severity[Math.max(0, Math.min(4, (a.severity || 1) - 1))];
    var items = Object.keys(a.items || {}).reduce(function (s, k) { return s + a.items[k]; }, 0);
    var per100 = a.survey_length_m ? (100 * items) / a.survey_length_m : 0;
    return palettes.litter[C.classOf(per100, [10, 50, 100, 500, Infinity])];
  }

  function pointLegendRows(kind, ctx) {
    if (kind === "service" && ctx.colourBy === "satisfaction") {
      return ["very dissatisfied", "dissatisfied", "satisfied", "very satisfied"].map(function (label, i) {
        return { colour: ctx.config.palettes.satisfaction[i], label: label };
      });
    }
    if (kind === "service") return statusLegendRows(ctx);
    if (kind === "hotspot") {
      return ctx.config.palettes.severity.map(function (c, i) { return { colour: c, label: "severity " + (i + 1) }; });
    }
    return ["up to 10", "over 10 to 50", "over 50 to 100", "over 100 to 500", "over 500"].map(function (label, i) {
      return { colour: ctx.config.palettes.litter[i], label: label + " items per 100 m" };
    });
  }

  function pointPopup(kind, f, ctx) {
    var p = f.properties, a = p.attributes || {};
    var rows = [
      ["Category", K.categoryLabel(ctx.config, kind, p.category)],
      a.name ? ["Name", a.name] : null,
      a.status ? ["Status", STATUS_WORDS[a.status] || a.status] : null,
      a.satisfaction ? ["Satisfaction (1-4)", String(a.satisfaction)] : null,
      a.severity ? ["Severity (1-5)", String(a.severity)] : null,
      a.survey_length_m ? ["Surveyed", a.survey_length_m + " m"] : null,
    ].concat(litterRows(a, ctx), [
      ["Observed", (p.observed_at || "").slice(0, 10)],
      ["Report status", p.status],
      p.location_generalised_to ? ["Location", "shown at its hexagon (" + p.location_generalised_to + ")"] : null,
    ]);
    return popup(KIND_WORDS[kind].replace(/s$/, ""), rows, [
      p.description ? u.el("p", { class: "quote", text: p.description }) : null,
      photoStrip(p.photos),
    ]);
  }

  /** A litter survey's items per 100 m and its three most counted items, in words. */
  function litterRows(a, ctx) {
    var items = a.items || {};
    var codes = Object.keys(items);
    if (!codes.length) return [];
    var names = {};
    (ctx.config.taxonomy.litter || []).forEach(function (i) { names[i.code] = i.label; });
    var total = codes.reduce(function (sum, c) { return sum + items[c]; }, 0);
    var rows = [["Items counted", u.number(total)]];
    if (a.survey_length_m) rows.push(["Items per 100 m", u.number((total / a.survey_length_m) * 100, 1)]);
    codes.sort(function (x, y) { return items[y] - items[x] || (x < y ? -1 : 1); }).slice(0, 3).forEach(function (c, i) {
      rows.push([i === 0 ? "Most found" : "", (names[c] || c) + ": " + u.number(items[c])]);
    });
    return rows;
  }

  /** Thumbnails of the photos the viewer may see, each a link to the photo full size. Only
   * links on this server are taken: a photo URL is never a script or another site. */
  function photoStrip(photos) {
    var own = (photos || []).filter(function (ph) { return onThisServer(ph.url) && onThisServer(ph.thumb); });
    if (!own.length) return null;
    return u.el("ul", { class: "popup-photos" }, own.map(function (ph, i) {
      var label = "Photo " + (i + 1) + " of this report";
      return u.el("li", {}, u.el("a", { href: ph.url, target: "_blank", rel: "noopener", title: label + ", full size (opens in a new tab)" },
        u.el("img", { src: ph.thumb, alt: label, loading: "lazy", width: 72, height: 72 })));
    }));
  }

  function onThisServer(url) {
    return typeof url === "string" && /^\/[^\/\\]/.test(url);
  }

  function drawPoints(kind, body, ctx) {
    var cluster = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50 });
    body.features.forEach(function (f) {
      var c = f.geometry.coordinates;
      var marker = L.marker([c[1], c[0]], { icon: dotIcon(pointColour(kind, f.properties, ctx)), title: K.categoryLabel(ctx.config, kind, f.properties.category), keyboard: true });
      marker.bindPopup(function () { return pointPopup(kind, f, ctx); });
      cluster.addLayer(marker);
    });
    var more = (body.links || []).some(function (l) { return l.rel === "next"; });
    var notes = [filterNote(ctx)];
    if (more) notes.unshift("Showing the first " + POINT_LIMIT.toLocaleString() + " reports in view; zoom in to see all.");
    var rows = pointLegendRows(kind, ctx).concat([
      { colour: ctx.config.palettes.cluster, extra: "cluster", label: "reports close together: the number says how many" },
    ]);
    return { layer: cluster, count: body.features.length, legend: legend(KIND_WORDS[kind], rows, notes, this.lastUrl),
      note: more ? "more reports than shown; zoom in" : null };
  }

  function reportsLayer(kind, title) {
    return {
      key: kind,
      title: title,
      followsView: true,
      url: function (ctx) {
        if (ctx.filters.kind && ctx.filters.kind !== kind) return null;
        var params = reportFilters(ctx, ["kind"]);
        params.kind = kind;
        params.bbox = ctx.bbox;
        if (ctx.zoom >= POINT_ZOOM) {
          params.limit = POINT_LIMIT;
          return ctx.api + "/reports?" + query(params);
        }
        params.resolution = ctx.clusterResolution;
        return ctx.api + "/aggregates/hexes?" + query(params);
      },
      draw: function (body, ctx) {
        return ctx.zoom >= POINT_ZOOM ? drawPoints.call(this, kind, body, ctx) : drawClusters(kind, body, ctx);
      },
      skippedNote: "hidden by the kind filter",
    };
  }

  // The list beside the map opens the same popups.
  CivicMap.reportPopup = pointPopup;

  CivicMap.layerSpecs = (CivicMap.layerSpecs || []).concat([
    reportsLayer("service", "Service points"),
    reportsLayer("hotspot", "Hotspot reports"),
    reportsLayer("litter", "Litter surveys"),
  ]);
})();
