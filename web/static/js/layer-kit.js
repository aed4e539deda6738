/* What every layer of the planner map shares: request parameters, the measures and how they
 * read, legend sections and popups. Text from the API goes in as text nodes (CivicMap.util.el). */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});
  var u = CivicMap.util;

  var KIND_WORDS = { service: "service points", litter: "litter surveys", hotspot: "hotspot reports" };
  var STATUS_WORDS = { operational: "working", partly: "partly working", closed: "closed" };
  var MEASURES = {
    reports: { label: "Reports", palette: "count", n: null },
    satisfied_share: { label: "Satisfied with services (SDG 16.6.2)", palette: "share", n: "rated", share: true },
    mean_satisfaction: { label: "Mean satisfaction (1-4)", palette: "share", n: "rated", digits: 2 },
    items_per_100m: { label: "Litter items per 100 m (SDG 14.1.1)", palette: "litter", n: "surveys", digits: 1 },
    plastic_share: { label: "Plastic share of litter", palette: "litter", n: "surveys", share: true },
    mean_severity: { label: "Mean hotspot severity (1-5)", palette: "severity", n: "hotspots", digits: 2 },
  };

  function query(params) {
    var q = new URLSearchParams();
    Object.keys(params).forEach(function (k) {
      if (params[k] !== "" && params[k] !== null && params[k] !== undefined) q.set(k, params[k]);
    });
    return q.toString();
  }

  function reportFilters(ctx, without) {
    var out = {};
    Object.keys(ctx.filters).forEach(function (k) {
      if (!without || without.indexOf(k) < 0) out[k] = ctx.filters[k];
    });
    return out;
  }

  /** The hexagon aggregates in view at the map's hexagon size, with the report filters. */
  function hexesUrl(ctx) {
    var params = reportFilters(ctx);
    params.resolution = ctx.hexResolution;
    params.bbox = ctx.bbox;
    return ctx.api + "/aggregates/hexes?" + query(params);
  }

  /** A category's label in the taxonomy, or its code where the taxonomy lacks it. */
  function categoryLabel(config, kind, code) {
    var lists = kind ? [kind === "litter" ? "litter_surveys" : kind] : ["service", "hotspot", "litter_surveys"];
    var found = lists.map(function (l) { return (config.taxonomy[l] || []).filter(function (c) { return c.code === code; })[0]; })
      .filter(Boolean)[0];
    return found ? found.label : code;
  }

  function format(measure, value) {
    var m = MEASURES[measure] || {};
    return m.share ? u.share(value) : u.number(value, m.digits || 0);
  }

  // ---- legends and popups -------------------------------------------------------------------

  /** A class's sample: filled with `colour`, or with `outline` a frame of that colour only. */
  function swatch(colour, extra, outline) {
    var paint = outline ? "background:transparent;border:2px solid " + colour : "background:" + colour;
    return u.el("span", { class: "swatch" + (extra ? " " + extra : ""), style: paint });
  }

  /** A legend section: title, class rows ({colour, label, extra, outline}), notes, and a link
   * to the very data drawn. */
  function legend(title, rows, notes, dataUrl) {
    return u.el("section", { class: "legend-section" },
      u.el("h3", { text: title }),
      u.el("ul", {}, rows.map(function (r) {
        return u.el("li", {}, swatch(r.colour, r.extra, r.outline), " ", r.label);
      })),
      (notes || []).map(function (n) { return u.el("p", { class: "legend-note", text: n }); }),
      dataUrl ? u.el("p", { class: "legend-note" }, u.el("a", { href: dataUrl, text: "This layer's data (GeoJSON)" })) : null);
  }

  function suppressedRow(ctx) {
    return { colour: ctx.config.palettes.suppressed, extra: "hatched",
      label: "suppressed (fewer than " + ctx.config.threshold + " reports)" };
  }

  function filterNote(ctx) {
    var f = ctx.filters, parts = [];
    if (f.kind) parts.push(KIND_WORDS[f.kind] || f.kind);
    if (f.category) parts.push(categoryLabel(ctx.config, f.kind, f.category));
    if (f.since) parts.push("from " + f.since.slice(0, 10));
    if (f.until) parts.push("before " + f.until.slice(0, 10));
    if (f.campaign) parts.push("campaign " + f.campaign);
    return parts.length ? "Filters: " + parts.join(", ") + "." : "All public reports.";
  }

  /** Popup content: a heading and a table of (label, value) rows, all as text. */
  function popup(title, rows, extra) {
    return u.el("div", { class: "popup" },
      u.el("h3", { text: title }),
      u.el("table", {}, rows.filter(Boolean).map(function (r) {
        return u.el("tr", {}, u.el("th", { scope: "row", text: r[0] }), u.el("td", { text: r[1] }));
      })),
      extra || null);
  }

  function suppressionNote(props, ctx) {
    if (!props.suppressed) return null;
    return u.el("p", { class: "muted", text: "Counts suppressed: fewer than " + ctx.config.threshold +
      " reports, or hidden so that no total gives a small count away." });
  }

  /** Rows of a hexagon's or area's indicators that have something to say, each with its n. */
  function indicatorRows(p) {
    var rows = [["Reports", u.number(p.reports)]];
    if (p.services !== undefined && p.services !== 0) {
      rows.push(["Service ratings (n)", u.number(p.rated)]);
      rows.push(["Satisfied (SDG 16.6.2)", u.share(p.satisfied_share)]);
      rows.push(["Mean satisfaction (1-4)", u.number(p.mean_satisfaction, 2)]);
    }
    if (p.surveys !== undefined && p.surveys !== 0) {
      rows.push(["Litter surveys (n)", u.number(p.surveys)]);
      rows.push(["Items per 100 m (SDG 14.1.1)", u.number(p.items_per_100m, 1)]);
      rows.push(["Plastic share", u.share(p.plastic_share)]);
    }
    if (p.hotspots !== undefined && p.hotspots !== 0) {
      rows.push(["Hotspot reports (n)", u.number(p.hotspots)]);
      rows.push(["Mean severity (1-5)", u.number(p.mean_severity, 2)]);
      rows.push(["People affected", u.number(p.people_affected)]);
    }
    return rows;
  }

  CivicMap.layerKit = {
    KIND_WORDS: KIND_WORDS,
    STATUS_WORDS: STATUS_WORDS,
    categoryLabel: categoryLabel,
    MEASURES: MEASURES,
    query: query,
    reportFilters: reportFilters,
    hexesUrl: hexesUrl,
    format: format,
    legend: legend,
    suppressedRow: suppressedRow,
    filterNote: filterNote,
    popup: popup,
    suppressionNote: suppressionNote,
    indicatorRows: indicatorRows,
  };
})();
