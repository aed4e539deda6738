/* The volunteer page's campaign choice: the campaigns running now, kept on the phone so that
 * the choice also works offline. Choosing one sets the kind of report and narrows the
 * categories to the campaign's; "No campaign" gives them all back. */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});
  var u = CivicMap.util;
  var KEY = "civicmap.campaigns.v1";
  var SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
  var select, hint, onChoose, list = [];

  function kept() {
    try { return JSON.parse(localStorage.getItem(KEY) || "null"); } catch (e) { return null; }
  }

  /** Those of `campaigns` that have not ended by now: a list kept offline for days may hold
   * some that have ended since (an ended one would only earn its reports a flag). */
  function running(campaigns) {
    var now = Date.now();
    return (campaigns || []).filter(function (c) { return !c.end || Date.parse(c.end) > now; });
  }

  function label(c) { return c.title + (c.demo ? " (demo)" : ""); }

  /** Fill the select with `campaigns`, keeping the current choice (and a slug not listed, such
   * as one from the link the volunteer was given, as an option of its own). */
  function fill(campaigns, wanted) {
    list = running(campaigns);
    var current = wanted !== undefined ? wanted : select.value;
    select.textContent = "";
    select.appendChild(u.el("option", { value: "", text: "No campaign" }));
    list.forEach(function (c) { select.appendChild(u.el("option", { value: c.slug, text: label(c) })); });
    if (current && !find(current)) {
      select.appendChild(u.el("option", { value: current, text: current + " (not in this phone's list)" }));
    }
    select.value = current || "";
  }

  function find(slug) {
    for (var i = 0; i < list.length; i++) if (list[i].slug === slug) return list[i];
    return null;
  }

  function showHint() {
    var c = find(select.value);
    hint.textContent = "";
    if (!select.value) return;
    if (!c) {
      hint.appendChild(u.el("span", { text: "This campaign is not in the list this phone has; your reports will name it anyway." }));
      return;
    }
    hint.appendChild(u.el("strong", { text: label(c) }));
    if (c.description) hint.appendChild(u.el("span", { text: " – " + c.description }));
    if (c.end) {
      var end = new Date(c.end).toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
      hint.appendChild(u.el("span", { class: "campaign-end", text: " Runs until " + end + "." }));
    }
    if (c.demo) hint.appendChild(u.el("span", { text: " A demonstration campaign." }));
  }

  function changed() {
    showHint();
    var c = find(select.value);
    if (onChoose) onChoose(c);
  }

  /** Read the campaigns running now from the network when online, and keep them; the kept
   * ones are already shown meanwhile, and stay when the network fails. */
  function refresh(api) {
    if (!navigator.onLine) return Promise.resolve();
    return u.getJSON(api + "/campaigns?active=true").then(function (res) {
      if (!res.ok || !res.body || !Array.isArray(res.body.campaigns)) return;
      localStorage.setItem(KEY, JSON.stringify({ fetched_at: new Date().toISOString(), campaigns: res.body.campaigns }));
      var before = find(select.value);
      fill(res.body.campaigns);
      // A campaign named in the link, now known: apply its kind and categories.
      if (!before && find(select.value)) changed();
      else showHint();
    }).catch(function () { /* the kept list, or "No campaign" alone */ });
  }

  /** Set up the select with the kept list; `choose(campaign or null)` is called when the
   * volunteer picks one. A `?campaign=slug` in the page's URL is chosen at once. */
  function init(options) {
    select = document.getElementById("campaign");
    hint = document.getElementById("campaign-hint");
    onChoose = options.choose;
    var wanted = new URLSearchParams(window.location.search).get("campaign") || "";
    if (!SLUG.test(wanted)) wanted = ""; // the server would refuse every report naming it
    fill((kept() || {}).campaigns || [], wanted);
    select.addEventListener("change", changed);
    if (wanted) changed();
    return refresh(options.api);
  }

  CivicMap.campaigns = {
    init: init,
    /** The chosen campaign (null for none or one this phone does not know). */
    chosen: function () { return select ? find(select.value) : null; },
    slug: function () { return select ? select.value : ""; },
    /** Choose `slug` (adding it when not listed), e.g. to put a report back in the form. */
    choose: function (slug) { fill(list, slug || ""); showHint(); },
    title: function (slug) { var c = find(slug); return c ? label(c) : slug; },
  };
})();
