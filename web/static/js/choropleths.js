/* Choropleth layers of the planner map: report counts per H3 hexagon, and a chosen indicator
 * per administrative area, both from the API's aggregates. */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});
  var u = CivicMap.util;
  var C = CivicMap.classes;
  var K = CivicMap.layerKit;
  var legend = K.legend, popup = K.popup, indicatorRows = K.indicatorRows, suppressionNote = K.suppressionNote;
  var suppressedRow = K.suppressedRow, filterNote = K.filterNote, query = K.query, reportFilters = K.reportFilters;
  var format = K.format, MEASURES = K.MEASURES;

  // ---- choropleths ----------------------------------------------------------------------------

  function polygonStyle(colour, suppressed, ctx) {
    if (suppressed) {
      return { color: "#616161", weight: 1, dashArray: "3 3", fillColor: ctx.config.palettes.suppressed, fillOpacity: 0.35 };
    }
    return { color: "#424242", weight: 0.6, fillColor: colour, fillOpacity: 0.6 };
  }

  /** A GeoJSON choropleth of `value(feature)` in classes of `breaks` coloured from `palette`. */
  function choropleth(body, ctx, value, breaks, palette, describe, pane) {
    var colours = C.coloursFor(palette, breaks.length);
    var layer = L.geoJSON(body, {
      pane: pane || "overlayPane",
      style: function (f) {
        var i = C.classOf(value(f), breaks);
        return polygonStyle(colours[i], i < 0, ctx);
      },
      onEachFeature: function (f, l) { l.bindPopup(function () { return describe(f.properties, l); }); },
    });
    return { layer: layer, rows: C.legendRows(breaks, colours, function (x) { return x; }), colours: colours };
  }

  // ---- hexagons -------------------------------------------------------------------------------

  /** The map's hexagons come as cell ids and counts (/aggregates/cells), and the browser draws
   * each outline from its id with h3-js; without h3-js, as GeoJSON with their outlines. */
  function hexesUrl(ctx) {
    if (!window.h3) return K.hexesUrl(ctx);
    var params = reportFilters(ctx);
    params.resolution = ctx.hexResolution;
    params.bbox = ctx.bbox;
    return ctx.api + "/aggregates/cells?" + query(params);
  }

  function cellFeatures(body) {
    if (!body.cells) return body.features;
    return body.cells.map(function (c) {
      return { type: "Feature", id: c[0], properties: { h3: c[0], reports: c[1], resolution: body.resolution, compact: true },
        geometry: { type: "Polygon", coordinates: [h3.cellToBoundary(c[0], true)] } };
    });
  }

  /** A hexagon's popup, titled by the place that holds it; a compact hexagon asks the GeoJSON
   * answer for its figures (a bbox around its centre selects it alone) when it is opened. */
  function hexPopup(p, layer, ctx) {
    if (!p.compact) return hexContent(p, ctx);
    // Leaflet asks again for the content on every update of the popup: one request per layer.
    if (layer._civicmapPopup) return layer._civicmapPopup;
    var box = (layer._civicmapPopup = u.el("div", { class: "popup" }, u.el("p", { class: "muted", text: "Loading this hexagon's figures…" })));
    var centre = h3.cellToLatLng(p.h3), e = 1e-6;
    var params = reportFilters(ctx);
    params.resolution = p.resolution;
    params.bbox = [centre[1] - e, centre[0] - e, centre[1] + e, centre[0] + e].map(function (v) { return v.toFixed(7); }).join(",");
    u.getJSON(ctx.api + "/aggregates/hexes?" + query(params)).then(function (res) {
      var found = res.ok && (res.body.features || []).filter(function (f) { return f.properties.h3 === p.h3; })[0];
      box.textContent = "";
      box.appendChild(found ? hexContent(found.properties, ctx) : popup("Hexagon", [["Reports", u.number(p.reports)]]));
      if (layer.getPopup()) layer.getPopup().update();
    }, function () { box.textContent = "The figures of this hexagon could not be loaded."; });
    return box;
  }

  function hexContent(p, ctx) {
    // Titled by the place that holds it; the H3 id is for those who need it.
    var rows = indicatorRows(p).concat([["H3 cell", p.h3]]);
    return popup(p.place || "Outside the stored areas", rows, suppressionNote(p, ctx));
  }

  var hexes = {
    key: "hexes",
    title: "Hexagons",
    followsView: true,
    url: hexesUrl,
    draw: function (body, ctx) {
      var value = function (f) { return f.properties.reports; };
      // Hexagons looked at where nothing was found come with 0 reports: the effort layer draws
      // them; here they would only pull the quantile classes down to 0.
      var features = cellFeatures(body);
      var withReports = features.filter(function (f) { return value(f) !== 0; });
      var empty = features.length - withReports.length;
      var breaks = C.quantiles(withReports.map(value), 5);
      var shown = { type: "FeatureCollection", features: withReports };
      var drawn = choropleth(shown, ctx, value, breaks, ctx.config.palettes.count, function (p, l) { return hexPopup(p, l, ctx); });
      var rows = C.legendRows(breaks, drawn.colours, function (x) { return u.number(x); });
      var notes = ["Classes: quantiles of the hexagons in view.", filterNote(ctx)];
      if (empty) notes.push(u.number(empty) + " hexagons looked at where nothing was found are left out here; the layer “Observer effort” shows them.");
      // GIS users get the GeoJSON with every indicator, whichever form the map used.
      var alternate = (body.links || []).filter(function (l) { return l.rel === "alternate"; })[0];
      return {
        layer: drawn.layer,
        count: withReports.length,
        classes: { values: withReports.map(value), breaks: breaks },
        legend: legend("Reports per hexagon (H3 resolution " + ctx.hexResolution + ")",
          rows.concat([suppressedRow(ctx)]), notes, alternate ? alternate.href : this.lastUrl),
      };
    },
  };

  var areas = {
    key: "areas",
    title: "Areas",
    followsView: false,
    url: function (ctx) {
      var params = reportFilters(ctx);
      params.level = ctx.level;
      return ctx.api + "/aggregates/areas?" + query(params);
    },
    draw: function (body, ctx) {
      var measure = ctx.indicator, m = MEASURES[measure];
      var value = function (f) { return f.properties[measure]; };
      var breaks = C.breaksFor(measure, body.features.map(value));
      var fmt = function (x) { return format(measure, x); };
      var drawn = choropleth(body, ctx, value, breaks, ctx.config.palettes[m.palette], function (p) {
        var link = u.el("p", {}, u.el("a", { href: "/areas/" + encodeURIComponent(p.code), text: "Scorecard of " + p.name }));
        return popup(p.name + " (" + p.code + ")", indicatorRows(p), [suppressionNote(p, ctx), link]);
      }, "civicmap-areas");
      var rows = C.legendRows(breaks, drawn.colours, fmt);
      var missing = { colour: ctx.config.palettes.suppressed, extra: "hatched", label: "no figure: suppressed or no reports" };
      var notes = [(m.n ? "Each figure counts only where its n reaches " + ctx.config.threshold + ". " : "") + filterNote(ctx)];
      return {
        layer: drawn.layer,
        count: body.features.length,
        legend: legend(m.label + " by area (level " + ctx.level + ")", rows.concat([missing]), notes, this.lastUrl),
      };
    },
  };

  CivicMap.layerSpecs = (CivicMap.layerSpecs || []).concat([hexes, areas]);
})();
