/* Class breaks and legends for the choropleths.
 *
 * Bounded measures (shares, 1-4 and 1-5 scales) get fixed classes, so that colours mean the same
 * on every screen and after every filter; counts get quantile classes of what is on screen
 * (as mapclassify's Quantiles), since their range changes by orders of magnitude with the zoom. */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});

  var FIXED = {
    satisfied_share: [0.2, 0.4, 0.6, 0.8, 1],
    plastic_share: [0.2, 0.4, 0.6, 0.8, 1],
    mean_satisfaction: [1.6, 2.2, 2.8, 3.4, 4],
    mean_severity: [1.8, 2.6, 3.4, 4.2, 5],
  };

  /** Upper bounds of up to `k` quantile classes of `values` (nulls ignored), without repeats. */
  function quantiles(values, k) {
    var sorted = values.filter(function (v) { return v !== null && v !== undefined; })
      .sort(function (a, b) { return a - b; });
    if (!sorted.length) return [];
    var breaks = [];
    for (var i = 1; i <= k; i++) {
      var at = sorted[Math.min(sorted.length - 1, Math.ceil((i / k) * sorted.length) - 1)];
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

  /** Legend rows ({colour, label}) for classes with these upper bounds. */
  function legendRows(breaks, colours, format) {
    return breaks.map(function (upper, i) {
      var lower = i === 0 ? null : breaks[i - 1];
      var label = lower === null ? "up to " + format(upper) : format(lower) + " to " + format(upper);
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
