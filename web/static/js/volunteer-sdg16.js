/* The volunteer page's SDG 16.6.2 questions: "don't know" and "rather not say" beside the four
 * points of the overall question, one row of four taps per attribute of the three official
 * services (shown only for their categories), the Washington Group questions and the place of
 * residence. A token kept on this phone tells the server that two ratings are by one person,
 * so each person counts once per service. */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});
  var TOKEN_KEY = "civicmap-respondent";
  var form, services, box;

  function init(options) {
    form = options.form;
    services = options.services || {};
    box = document.getElementById("service-aspects");
    form.category.addEventListener("change", show);
    show();
  }

  /** Show the attribute rows of the chosen category's service, or none. */
  function show() {
    var asked = form.kind.value === "service" ? services[form.category.value] : null;
    box.hidden = !asked;
    Array.prototype.forEach.call(box.querySelectorAll(".aspect"), function (row) {
      row.hidden = !asked || asked.indexOf(row.getAttribute("data-aspect")) < 0;
    });
  }

  /** The overall answer and the attributes, added to a service report's `attributes`. */
  function addAnswers(attributes) {
    var chosen = form.querySelector("input[name=satisfaction]:checked");
    if (chosen && /^[1-4]$/.test(chosen.value)) attributes.satisfaction = Number(chosen.value);
    else if (chosen) attributes.satisfaction_missing = chosen.value;
    var asked = services[form.category.value];
    if (!asked) return attributes;
    var aspects = {};
    asked.forEach(function (code) {
      var tap = form.querySelector("input[name=aspect_" + code + "]:checked");
      if (tap) aspects[code] = Number(tap.value);
    });
    if (Object.keys(aspects).length) attributes.aspects = aspects;
    return attributes;
  }

  function token() {
    var t = localStorage.getItem(TOKEN_KEY);
    if (!t) {
      var b = crypto.getRandomValues(new Uint8Array(12));
      t = "p-" + Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
      localStorage.setItem(TOKEN_KEY, t);
    }
    return t;
  }

  /** The reporter details this module asks, added to `reporter`; the token goes with ratings. */
  function addReporter(reporter, kind) {
    if (form.residence.value) reporter.residence = form.residence.value;
    var wg = {};
    Array.prototype.forEach.call(form.querySelectorAll("select[data-wg]"), function (s) {
      if (s.value) wg[s.getAttribute("data-wg")] = Number(s.value);
    });
    if (Object.keys(wg).length) reporter.washington_group = wg;
    if (kind === "service") reporter.respondent = token();
    return reporter;
  }

  function restore(attributes, reporter) {
    var answer = attributes.satisfaction !== undefined ? String(attributes.satisfaction) : attributes.satisfaction_missing;
    Array.prototype.forEach.call(form.querySelectorAll("input[name=satisfaction]"), function (x) { x.checked = x.value === answer; });
    var aspects = attributes.aspects || {};
    Array.prototype.forEach.call(box.querySelectorAll("input[type=radio]"), function (x) {
      x.checked = Number(x.value) === aspects[x.name.slice("aspect_".length)];
    });
    form.residence.value = reporter.residence || "";
    var wg = reporter.washington_group || {};
    Array.prototype.forEach.call(form.querySelectorAll("select[data-wg]"), function (s) {
      var v = wg[s.getAttribute("data-wg")];
      s.value = v === undefined ? "" : String(v);
    });
    show();
  }

  /** Ready for the next report: the answers about the visit go, what the person said stays. */
  function clear() {
    Array.prototype.forEach.call(form.querySelectorAll("input[name=satisfaction], #service-aspects input"), function (r) { r.checked = false; });
  }

  CivicMap.sdg16 = { init: init, show: show, addAnswers: addAnswers, addReporter: addReporter, restore: restore, clear: clear };
})();
