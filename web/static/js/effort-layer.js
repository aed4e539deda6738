/* The planner map's observer-effort layer: where people recorded looking (POST /api/v1/effort),
 * read from the `effort` of the API's hexagon aggregates, so that a planner can tell "no reports"
 * from "nobody looked". Four cases, each with its legend row:
 *   looked, nothing found      reports 0 and visits (published or suppressed): a teal fill;
 *   looked and found reports   purples by reports per visit, dashed where figures are withheld;
 *   reports, no recorded visit  an outline only;
 *   neither                    not drawn (the API does not list such hexagons at all).
 * Effort is stored at one H3 resolution; finer hexagons come without `effort`, and then the layer
 * draws nothing and says so. */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});
  var u = CivicMap.util;
  var C = CivicMap.classes;
  var K = CivicMap.layerKit;
  var legend = K.legend, popup = K.popup, filterNote = K.filterNote;

  var VERDICTS = {
    empty: "Looked at, nothing found: visits were recorded here and no reports came in.",
    found: "Looked at, and reports found.",
    unvisited: "Reports came in, but nobody recorded looking here.",
  };

  /** The case of a hexagon, from its published figures; null when there is nothing to draw. */
  function classify(p) {
    var looked = p.effort > 0 || p.effort_suppressed === true;
    if (looked) return p.reports === 0 ? "empty" : "found";
    if (p.effort === 0 && p.reports !== 0) return "unvisited";
    return null;
  }

  function hasRatio(p) { return p.reports_per_visit !== null && p.reports_per_visit !== undefined; }

  /** True when the answer carries no effort: it is recorded only at a coarser resolution. */
  function effortMissing(body, ctx) {
    var features = body.features || [];
    if (features.length) return !features.some(function (f) { return "effort" in f.properties; });
    return ctx.hexResolution > ctx.config.effortResolution;
  }

  function missingNote(ctx) {
    return "not available at this hexagon size; it is recorded at H3 resolution " + ctx.config.effortResolution +
      ", so choose that hexagon size or a coarser one, or zoom out.";
  }

  function style(p, cls, scale, ctx) {
    var colours = ctx.config.palettes.effort;
    if (cls === "empty") {
      return { className: "cm-effort cm-effort-empty", color: "#8f8f00", weight: 1.2, fillColor: colours.empty, fillOpacity: 0.55 };
    }
    if (cls === "unvisited") {
      return { className: "cm-effort cm-effort-unvisited", color: colours.unvisited, weight: 2, opacity: 0.9, fill: false };
    }
    if (!hasRatio(p)) {
      return { className: "cm-effort cm-effort-found", color: "#616161", weight: 1, dashArray: "3 3",
        fillColor: colours.found[1], fillOpacity: 0.5 };
    }
    var i = Math.max(0, C.classOf(p.reports_per_visit, scale.breaks));
    return { className: "cm-effort cm-effort-found", color: "#3f007d", weight: 0.6, fillColor: scale.colours[i], fillOpacity: 0.65 };
  }

  function describe(p, cls, ctx) {
    var t = ctx.config.threshold;
    var rows = [
      ["Reports", p.reports === null ? "not shown (suppressed)" : u.number(p.reports)],
      ["Visits", p.effort_suppressed ? "fewer than " + t + ", not shown" : u.number(p.effort)],
      p.effort || p.effort_suppressed ? ["Reports per visit", hasRatio(p) ? u.number(p.reports_per_visit, 2) : "not published"] : null,
      ["H3 cell", p.h3],
    ];
    // Titled by the place that holds it, as the other hexagons.
    return popup(p.place || "Outside the stored areas", rows, u.el("p", { class: "effort-verdict", text: VERDICTS[cls] }));
  }

  function legendRows(scale, ctx) {
    var colours = ctx.config.palettes.effort, t = ctx.config.threshold;
    var rows = [{ colour: colours.empty, label: "looked, nothing found" }];
    C.legendRows(scale.breaks, scale.colours, function (x) { return u.number(x, 2); }).forEach(function (r) {
      rows.push({ colour: r.colour, label: "looked and found: " + r.label + " reports per visit" });
    });
    if (!scale.breaks.length) rows.push({ colour: colours.found[2], label: "looked and found reports" });
    if (scale.withheld) {
      rows.push({ colour: colours.found[1], extra: "hatched",
        label: "looked and found; reports per visit not shown (fewer than " + t + " visits or reports)" });
    }
    rows.push({ colour: colours.unvisited, outline: true, label: "reports, but no recorded visit" });
    rows.push({ colour: "transparent", extra: "empty", label: "no colour: nobody recorded looking here" });
    return rows;
  }

  var effort = {
    key: "effort",
    title: "Observer effort",
    followsView: true,
    url: K.hexesUrl,
    draw: function (body, ctx) {
      if (effortMissing(body, ctx)) return { layer: L.layerGroup(), count: 0, legend: null, note: missingNote(ctx) };
      var drawn = body.features.filter(function (f) { return classify(f.properties) !== null; });
      var found = drawn.filter(function (f) { return classify(f.properties) === "found"; });
      var breaks = C.quantiles(found.map(function (f) { return f.properties.reports_per_visit; }), 4);
      var scale = {
        breaks: breaks,
        colours: C.coloursFor(ctx.config.palettes.effort.found, breaks.length),
        withheld: found.some(function (f) { return !hasRatio(f.properties); }),
      };
      var layer = L.geoJSON({ type: "FeatureCollection", features: drawn }, {
        style: function (f) { return style(f.properties, classify(f.properties), scale, ctx); },
        onEachFeature: function (f, l) {
          l.bindPopup(function () { return describe(f.properties, classify(f.properties), ctx); });
        },
      });
      var notes = [
        "A visit is one observer's recorded walk or stop, counted in every hexagon it touched. Visits and reports below " +
          ctx.config.threshold + " are not shown.",
        filterNote(ctx),
      ];
      return {
        layer: layer,
        count: drawn.length,
        legend: legend("Observer effort (H3 resolution " + ctx.hexResolution + ")", legendRows(scale, ctx), notes, this.lastUrl),
      };
    },
  };

  CivicMap.layerSpecs = (CivicMap.layerSpecs || []).concat([effort]);
})();
