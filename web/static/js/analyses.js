/* Analysis layers of the planner map: coverage gaps and Getis-Ord Gi* hotspots, as API.md
 * describes them. The controller offers them only where the server has them. */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});
  var u = CivicMap.util;
  var C = CivicMap.classes;
  var K = CivicMap.layerKit;
  var legend = K.legend, popup = K.popup, filterNote = K.filterNote, query = K.query, reportFilters = K.reportFilters;

  var GISTAR = ["hot-99", "hot-95", "hot-90", "none", "cold-90", "cold-95", "cold-99"];

  var coverage = {
    key: "coverage",
    title: "Coverage gaps",
    followsView: false,
    analysis: true,
    url: function (ctx) {
      var params = reportFilters(ctx, ["kind", "category"]);
      params.category = ctx.coverage.category;
      params.resolution = ctx.analysisResolution;
      params.max_distance_m = ctx.coverage.distance;
      return ctx.api + "/coverage?" + query(params);
    },
    draw: function (body, ctx) {
      var uncovered = body.features.filter(function (f) { return !f.properties.covered; });
      var breaks = C.quantiles(uncovered.map(function (f) { return f.properties.demand || null; }), 5);
      var colours = C.coloursFor(ctx.config.palettes.demand, breaks.length);
      var layer = L.geoJSON(body, {
        style: function (f) { return coverageStyle(f.properties, breaks, colours, ctx); },
        onEachFeature: function (f, l) { l.bindPopup(function () { return coveragePopup(f.properties); }); },
      });
      return { layer: layer, count: body.features.length, legend: coverageLegend(body, breaks, colours, ctx, this.lastUrl) };
    },
  };

  function coverageStyle(p, breaks, colours, ctx) {
    if (p.covered) return { color: "#1b5e20", weight: 0.5, fillColor: ctx.config.palettes.covered, fillOpacity: 0.45 };
    var i = C.classOf(p.demand || null, breaks);
    if (i < 0) return { color: "#9e9e9e", weight: 0.5, fillOpacity: 0.05 };
    return { color: "#7f0000", weight: 0.5, fillColor: colours[i], fillOpacity: 0.65 };
  }

  function coveragePopup(p) {
    return popup("Hexagon " + (p.h3 || ""), [
      ["Covered", p.covered ? "yes" : "no"],
      ["Distance to nearest", p.distance_m === null || p.distance_m === undefined ? "none found" : u.number(p.distance_m / 1000, 1) + " km"],
      ["Demand", u.number(p.demand)],
    ]);
  }

  function coverageLegend(body, breaks, colours, ctx, url) {
    var category = ctx.coverage.category, s = body.summary || {};
    var rows = [{ colour: ctx.config.palettes.covered, label: "covered: a " + category + " report within " + u.number(ctx.coverage.distance) + " m" }];
    C.legendRows(breaks, colours, function (x) { return u.number(x); }).forEach(function (r) {
      rows.push({ colour: r.colour, label: "not covered, demand " + r.label });
    });
    rows.push({ colour: "#ffffff", label: "not covered, no demand" });
    var notes = ["Distance from each hexagon (H3 resolution " + ctx.analysisResolution + ") to the nearest service report of category " + category + "."];
    if (s.covered_share !== undefined) notes.push("Covered: " + u.share(s.covered_share) + " of " + u.number(s.hexes) + " hexagons; uncovered demand " + u.number(s.demand_uncovered) + " of " + u.number(s.demand) + ".");
    return legend("Coverage gaps", rows, notes, url);
  }

  var hotspots = {
    key: "hotspots",
    title: "Hotspot analysis",
    followsView: false,
    analysis: true,
    url: function (ctx) {
      var params = reportFilters(ctx);
      params.resolution = ctx.analysisResolution;
      return ctx.api + "/hotspots?" + query(params);
    },
    draw: function (body, ctx) {
      var colours = ctx.config.palettes.gistar;
      var layer = L.geoJSON(body, {
        style: function (f) {
          var i = GISTAR.indexOf(f.properties["class"]);
          if (i < 0 || GISTAR[i] === "none") return { color: "#9e9e9e", weight: 0.4, fillOpacity: 0 };
          return { color: "#424242", weight: 0.5, fillColor: colours[i], fillOpacity: 0.7 };
        },
        onEachFeature: function (f, l) {
          l.bindPopup(function () {
            var p = f.properties;
            return popup("Hexagon " + (p.h3 || ""), [["Class", p["class"]], ["Gi* z-score", u.number(p.z, 2)], ["p-value", u.number(p.p, 4)]]);
          });
        },
      });
      var rows = GISTAR.map(function (c, i) { return { colour: i === 3 ? "#ffffff" : colours[i], label: gistarLabel(c) }; });
      var notes = ["Getis-Ord Gi* on report counts per hexagon (H3 resolution " + ctx.analysisResolution +
        "): hot where a hexagon and its neighbours hold more reports than chance would give, cold where fewer.", filterNote(ctx)];
      return { layer: layer, count: body.features.length, legend: legend("Hotspot analysis (Gi*)", rows, notes, this.lastUrl) };
    },
  };

  function gistarLabel(c) {
    if (c === "none") return "not significant";
    var parts = c.split("-");
    return (parts[0] === "hot" ? "hot spot" : "cold spot") + ", " + parts[1] + "% confidence";
  }

  CivicMap.layerSpecs = (CivicMap.layerSpecs || []).concat([coverage, hotspots]);
})();
