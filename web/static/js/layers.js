/* The planner map's data layers, in the order of the layer control. Each spec is
 * {key, title, followsView, url(ctx), draw(body, ctx)}; draw returns {layer, count, legend, note}
 * (choropleths.js, effort-layer.js, report-layers.js, analyses.js; shared parts in layer-kit.js). */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});
  var ORDER = ["hexes", "effort", "areas", "service", "hotspot", "litter", "coverage", "register", "missing", "hotspots"];

  /** H3 resolution whose hexagons are a few dozen pixels wide at Leaflet zoom `z`. */
  function resolutionForZoom(z) {
    var table = [2, 2, 2, 2, 2, 3, 4, 4, 5, 6, 6, 7, 8, 8, 9, 10, 10, 10, 10, 10];
    return table[Math.max(0, Math.min(table.length - 1, Math.round(z)))];
  }

  CivicMap.layers = {
    resolutionForZoom: resolutionForZoom,
    specs: ORDER.map(function (key) {
      return CivicMap.layerSpecs.filter(function (s) { return s.key === key; })[0];
    }),
  };
})();
