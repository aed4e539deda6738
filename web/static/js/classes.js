/* Class breaks and legends for the choropleths.
 *
 * Bounded measures (shares, 1-4 and 1-5 scales) get fixed classes, so that colours mean the same
 * on every screen and after every filter; counts get quantile classes of what is on screen
 * (mapclassify's Quantiles, which a browser test checks them against), since their range
 * changes by orders of magnitude with the zoom. */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});

  var FIXED = {
    satisfied_share: [0.2, 0.4, 0.6, 0.8, 1],
    plastic_share: [0.2, 0.4, 0.6, 0.8, 1],
    mean_satisfaction: [1.6, 2.2, 2.8, 3.4, 4],
    mean_severity: [1.8, 2.6, 3.4, 4.2, 5],
  };

  // Values within this share of the largest are one class: five shades over 236 to 259 would
  // claim differences the map does not have.
  var NARROW = 0.1;

  /** The value at `pct` percent of sorted `values`, interpolated between neighbours as
   * scipy's scoreatpercentile does. */
  function scoreAt(sorted, pct) {
    var at = (pct / 100) * (sorted.length - 1), low = Math.floor(at), high = Math.ceil(at);
    return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
  }

  /** Upper bounds of up to `k` quantile classes of `values` (nulls ignored), as mapclassify's
   * Quantiles computes them (k no more than the distinct values), without repeats; one class
   * when the values lie close together.
   * Whole numbers get whole bounds: "up to 5.4" holds the same counts as "up to 5". */
  function quantiles(values, k) {
    var sorted = values.filter(function (v) { return v !== null && v !== undefined; })
      .sort(function (a, b) { return a - b; });
    if (!sorted.length) return [];
    var low = sorted[0], high = sorted[sorted.length - 1];
    if (high - low <= NARROW * Math.abs(high)) return [high];
    var whole = sorted.every(function (v) { return Math.round(v) === v; });
    // No more classes than distinct values: five classes over three hexagons would be empty.
    k = Math.min(k, sorted.filter(function (v, i) { return i === 0 || v !== sorted[i - 1]; }).length);
    var breaks = [];
    for (var i = 1; i <= k; i++) {
      var at = scoreAt(sorted, Math.min(100, (100 * i) / k));
      if (whole) at = Math.floor(at + 1e-9);
      if (breaks.indexOf(at) < 0) breaks.push(at);
    }
    return breaks;
  }

  /** Breaks for `measure` over `values`: fixed where the measure is bounded, else quantiles. */
  function breaksFor(measure, values) {
    return FIXED[measure] ? FIXED[measure].slice() : quantiles(values, 5);
  }

  /** The index of the class that holds `value`, or -1 for a missing (suppressed) value. */
  function classOf(value, breaks) {
    if (value === null || value === undefined) return -1;
    for (var i = 0; i < breaks.length; i++) if (value <= breaks[i]) return i;
    return breaks.length - 1;
  }

  /** A colour per class: the palette spread over however many classes there are. */
  function coloursFor(palette, count) {
    if (count <= 0) return [];
    if (count === 1) return [palette[palette.length - 1]];
    var out = [];
    for (var i = 0; i < count; i++) {
      out.push(palette[Math.round((i * (palette.length - 1)) / (count - 1))]);
    }
    return out;
  }

  /** Legend rows ({colour, label}) for classes with these upper bounds, whose labels never
   * overlap: whole numbers run "up to 5", "6", "7 to 9"; others "over 5 to 9". */
  function legendRows(breaks, colours, format) {
    var whole = breaks.every(function (b) { return Math.round(b) === b; });
    return breaks.map(function (upper, i) {
      var label;
      if (i === 0) label = "up to " + format(upper);
      else if (!whole) label = "over " + format(breaks[i - 1]) + " to " + format(upper);
      else if (breaks[i - 1] + 1 === upper) label = format(upper);
      else label = format(breaks[i - 1] + 1) + " to " + format(upper);
      return { colour: colours[i], label: label };
    });
  }

  CivicMap.classes = {
    quantiles: quantiles,
    breaksFor: breaksFor,
    classOf: classOf,
    coloursFor: coloursFor,
    legendRows: legendRows,
  };
})();
