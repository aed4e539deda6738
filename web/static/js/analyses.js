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
      var people = (body.summary || {}).demand_kind === "population";
      var weight = function (p) { return people ? p.people_out_of_reach : p.demand; };
      var unreached = body.features.filter(function (f) { return !f.properties.covered && weight(f.properties) > 0; });
      var breaks = C.quantiles(unreached.map(function (f) { return weight(f.properties); }), 5);
      var colours = C.coloursFor(ctx.config.palettes.demand, breaks.length);
      var layer = L.geoJSON(body, {
        style: function (f) { return coverageStyle(f.properties, breaks, colours, people, weight); },
        onEachFeature: function (f, l) { l.bindPopup(function () { return coveragePopup(f.properties, ctx, people); }); },
      });
      return { layer: layer, count: body.features.length, legend: coverageLegend(body, breaks, colours, ctx, people, this.lastUrl) };
    },
  };

  // Uncovered hexagons are coloured by the people (or reports) beyond reach, strongest where most
  // are unserved; covered ones stay quiet; a hexagon whose population is unknown is hatched.
  function coverageStyle(p, breaks, colours, people, weight) {
    if (people && (p.population === null || p.population === undefined)) {
      return { color: "#616161", weight: 1, dashArray: "3 3", fillColor: "#9e9e9e", fillOpacity: 0.35 };
    }
    if (p.covered) return { color: "#9e9e9e", weight: 0.3, fillColor: "#f0f0f0", fillOpacity: 0.15 };
    var i = weight(p) > 0 ? C.classOf(weight(p), breaks) : -1;
    if (i < 0) return { color: "#bdbdbd", weight: 0.3, fillColor: "#ffffff", fillOpacity: 0.1 };
    return { color: "#67000d", weight: 0.5, fillColor: colours[i], fillOpacity: 0.75 };
  }

  function km(metres) { return u.number(metres / 1000, 1) + " km"; }

  function coveragePopup(p, ctx, people) {
    var nearest = p.nearest_name
      ? p.nearest_name + (p.nearest_origin === "citizens" ? " (a citizen report)" : "") + ", " + km(p.distance_m) + " in a straight line"
      : "none open";
    var reach = km(ctx.coverage.distance);
    return popup(p.covered ? "Within " + reach + " of an open facility" : "More than " + reach + " from an open facility", [
      ["Nearest", nearest],
      people ? ["People", p.population === null ? "unknown" : u.number(p.population)] : ["Reports of other kinds", u.number(p.demand)],
      people && !p.covered ? ["People out of reach", p.people_out_of_reach === null ? "unknown" : u.number(p.people_out_of_reach)] : null,
    ]);
  }

  function coverageLegend(body, breaks, colours, ctx, people, url) {
    var s = body.summary || {}, reach = km(ctx.coverage.distance);
    var unit = people ? "people" : "reports of other kinds (not people)";
    var rows = C.legendRows(breaks, colours, function (x) { return u.number(Math.round(x)); }).map(function (r) {
      return { colour: r.colour, label: "beyond " + reach + ": " + r.label + " " + unit };
    });
    rows.push({ colour: "#ffffff", label: "beyond " + reach + ", no one " + (people ? "lives here" : "reported") });
    rows.push({ colour: "#f0f0f0", label: "within " + reach + " of an open facility" });
    if (people) rows.push({ colour: "#9e9e9e", extra: "hatched", label: "population unknown" });
    var notes = ["Straight-line distance from each hexagon (H3 resolution " + ctx.analysisResolution + ") to the nearest open " + ctx.coverage.category + ", not travel time."];
    if (people && s.people) {
      notes.push(u.number(s.people_out_of_reach) + " of " + u.number(s.people) + " people (" + u.share(1 - s.share_within_reach) + ") live beyond " + reach + ".");
      if (s.population) notes.push("Population: " + s.population.title + (s.population.year ? " (" + s.population.year + ")" : "") + ".");
    } else if (s.covered_share !== undefined) {
      notes.push("Covered: " + u.share(s.covered_share) + " of " + u.number(s.hexes) + " hexagons; uncovered demand " + u.number(s.demand_uncovered) + " of " + u.number(s.demand) + " reports.");
    }
    return legend("Coverage gaps", rows, notes, url);
  }

  // The register checked by citizens: each facility by its state, and the services citizens
  // report that the register lacks. Colours are not the status colours of service points.
  var STATES = {
    confirmed: { colour: "#2166ac", label: "confirmed by citizens" },
    reported_closed: { colour: "#000000", label: "reported closed (verified)" },
    reported_partly: { colour: "#762a83", label: "reported partly working (verified)" },
    not_seen: { colour: "#bdbdbd", label: "not seen by citizens lately" },
  };

  var register = {
    key: "register",
    title: "Register check",
    followsView: false,
    analysis: true,
    url: function (ctx) {
      var params = reportFilters(ctx, ["kind", "category"]);
      params.category = ctx.coverage.category;
      return ctx.api + "/facilities?" + query(params);
    },
    draw: function (body) {
      var layer = L.geoJSON(body, {
        pointToLayer: function (f, latlng) {
          var st = STATES[f.properties.state] || STATES.not_seen;
          return L.circleMarker(latlng, { radius: 5, color: "#ffffff", weight: 1, fillColor: st.colour, fillOpacity: 0.9 });
        },
        onEachFeature: function (f, l) { l.bindPopup(function () { return registerPopup(f.properties); }); },
      });
      var s = body.summary || {};
      var rows = Object.keys(STATES).map(function (k) {
        return { colour: STATES[k].colour, label: STATES[k].label + " (" + u.number(s[k]) + ")" };
      });
      var notes = [u.number(s.missing_from_register) + " citizen-reported services match no facility of the register (layer \"Missing from the register\").",
        "Open unless the latest verified report, or the register, says closed."];
      return { layer: layer, count: body.features.length, legend: legend("Register check", rows, notes, this.lastUrl) };
    },
  };

  function registerPopup(p) {
    var seen = p.state === "not_seen" ? (p.last_seen ? "not seen since " + p.last_seen : "never seen by citizens") : STATES[p.state].label;
    return popup(p.name, [
      ["Type", p.type || "not given"],
      ["Citizens", seen],
      ["Register says", p.register_status || "nothing of its status"],
      ["Counts as open", p.open ? "yes" : "no"],
      ["Citizen reports", u.number(p.reports)],
    ]);
  }

  var missing = {
    key: "missing",
    title: "Missing from the register",
    followsView: false,
    analysis: true,
    url: function (ctx) {
      var params = reportFilters(ctx, ["kind", "category"]);
      params.category = ctx.coverage.category;
      return ctx.api + "/facilities/missing?" + query(params);
    },
    draw: function (body) {
      var layer = L.geoJSON(body, {
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, { radius: 6, color: "#b35806", weight: 2, dashArray: "2 2", fillColor: "#fdb863", fillOpacity: 0.8 });
        },
        onEachFeature: function (f, l) {
          l.bindPopup(function () {
            var p = f.properties;
            return popup(p.name || "A service with no name given", [
              ["Reported", p.observed_at.slice(0, 10)],
              ["Says it is", p.state || "nothing of its status"],
              ["Moderation", p.moderation],
            ]);
          });
        },
      });
      var rows = [{ colour: "#fdb863", label: "a citizen report that matches no facility of the register (" + u.number(body.features.length) + ")" }];
      return { layer: layer, count: body.features.length, legend: legend("Missing from the register", rows, [], this.lastUrl) };
    },
  };

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
            // Titled by what the test found, in words; the H3 id is for those who need it.
            return popup(cap(gistarLabel(p["class"] || "none")), [["Gi* z-score", u.number(p.z, 2)], ["p-value", u.number(p.p, 4)], ["H3 cell", p.h3 || ""]]);
          });
        },
      });
      var rows = GISTAR.map(function (c, i) { return { colour: i === 3 ? "#ffffff" : colours[i], label: gistarLabel(c) }; });
      var notes = ["Getis-Ord Gi* on report counts per hexagon (H3 resolution " + ctx.analysisResolution +
        "): hot where a hexagon and its neighbours hold more reports than chance would give, cold where fewer.", filterNote(ctx)];
      return { layer: layer, count: body.features.length, legend: legend("Hotspot analysis (Gi*)", rows, notes, this.lastUrl) };
    },
  };

  function cap(text) { return text.charAt(0).toUpperCase() + text.slice(1); }

  function gistarLabel(c) {
    if (c === "none") return "not significant";
    var parts = c.split("-");
    return (parts[0] === "hot" ? "hot spot" : "cold spot") + ", " + parts[1] + "% confidence";
  }

  CivicMap.layerSpecs = (CivicMap.layerSpecs || []).concat([coverage, register, missing, hotspots]);
})();
