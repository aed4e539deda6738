/* The volunteer page: place a report on the map, fill in what the kind asks for, add photos,
 * send it; or say "I looked here" (volunteer-effort.js). Sending goes through the outbox, so
 * whatever is written offline waits on the phone. */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});
  var u = CivicMap.util;
  var TAXONOMY_KEY = "civicmap.taxonomy.v1";
  var config, form, taxonomy;

  function init() {
    config = u.readConfig();
    form = document.getElementById("report-form");
    CivicMap.pin.init({ form: form, config: config });
    CivicMap.sdg16.init({ form: form, services: config.services });
    CivicMap.survey.init({ api: config.api, pinForm: form, newClientId: newClientId });
    CivicMap.campaigns.init({ api: config.api, choose: applyCampaign });
    loadTaxonomy().then(function () { showKind(); render(); });
    CivicMap.photos.init(config);
    CivicMap.effort.init({ form: form, newClientId: newClientId, maxTrackM: config.maxTrackKm * 1000 });
    form.kind.addEventListener("change", showKind);
    document.getElementById("add-item").addEventListener("click", function () { addItemRow(true); });
    document.getElementById("outbox-send").addEventListener("click", function () { CivicMap.outbox.flush(); });
    form.addEventListener("submit", submit);
    form.observed_at.value = localNow();
    CivicMap.outbox.onChange(render);
    render();
    CivicMap.outbox.onSent(showResults);
    CivicMap.outbox.start({ api: config.api });
    registerServiceWorker();
  }

  // ---- what --------------------------------------------------------------------------------

  /** The taxonomy from the API, kept on the phone so the form also works offline. */
  function loadTaxonomy() {
    var status = document.getElementById("taxonomy-status");
    var cached = JSON.parse(localStorage.getItem(TAXONOMY_KEY) || "null");
    var fresh = navigator.onLine ? u.getJSON(config.api + "/taxonomy") : Promise.reject(new Error("offline"));
    return fresh.then(function (res) {
      if (!res.ok) throw new Error("taxonomy " + res.status);
      localStorage.setItem(TAXONOMY_KEY, JSON.stringify(res.body));
      taxonomy = res.body;
    }).catch(function () {
      taxonomy = cached;
      if (!taxonomy) status.textContent = "Categories could not be loaded; connect once, then this page also works offline.";
    });
  }

  /** A category's words, from the taxonomy kept on the phone; its code if it has none. */
  function categoryLabel(kind, code) {
    var found = (categoriesOf(kind) || []).filter(function (c) { return c.code === code; })[0];
    return found ? found.label : code;
  }

  function categoriesOf(kind) {
    if (!taxonomy) return [];
    return kind === "litter" ? taxonomy.litter_surveys : taxonomy[kind];
  }

  /** The categories offered for `kind`: a chosen campaign's, when it names any of that kind. */
  function offered(kind) {
    var all = categoriesOf(kind) || [], campaign = CivicMap.campaigns.chosen();
    if (!campaign || campaign.kind !== kind || !(campaign.categories || []).length) return all;
    var some = all.filter(function (c) { return campaign.categories.indexOf(c.code) >= 0; });
    return some.length ? some : all;
  }

  function showKind() {
    var kind = form.kind.value, select = form.category, was = select.value;
    select.textContent = "";
    offered(kind).forEach(function (c) { select.appendChild(u.el("option", { value: c.code, text: c.label })); });
    if (Array.prototype.some.call(select.options, function (o) { return o.value === was; })) select.value = was;
    Array.prototype.forEach.call(form.querySelectorAll("[data-kind]"), function (block) {
      var on = block.getAttribute("data-kind") === kind;
      block.hidden = !on;
      // Hidden fields must not block sending nor be sent.
      Array.prototype.forEach.call(block.querySelectorAll("input, select, textarea, button"), function (f) { f.disabled = !on; });
    });
    if (kind === "litter" && !document.querySelector("#items .item-row")) addItemRow(false);
    CivicMap.sdg16.show();
  }

  var itemRows = 0;

  function addItemRow(focus) {
    itemRows += 1;
    var id = "item-" + itemRows;
    var select = u.el("select", { id: id, class: "item-code", required: true });
    var byMaterial = {};
    (taxonomy ? taxonomy.litter : []).forEach(function (i) { (byMaterial[i.material] = byMaterial[i.material] || []).push(i); });
    Object.keys(byMaterial).forEach(function (m) {
      select.appendChild(u.el("optgroup", { label: m.replace(/_/g, " ") }, byMaterial[m].map(function (i) {
        return u.el("option", { value: i.code, text: i.code + " · " + i.label });
      })));
    });
    var row = u.el("div", { class: "item-row row" },
      u.el("div", {}, u.el("label", { for: id, text: "Item" }), select),
      u.el("div", {}, u.el("label", { for: id + "-n", text: "How many" }),
        u.el("input", { id: id + "-n", class: "item-count", type: "number", min: "0", max: "100000", step: "1", value: "1", required: true, inputmode: "numeric" })));
    document.getElementById("items").appendChild(row);
    if (focus) select.focus();
  }

  /** A campaign was chosen (or "No campaign", null): its kind, its categories only, and its
   * questionnaire if it has one. */
  function applyCampaign(campaign) {
    if (campaign && campaign.kind !== form.kind.value) form.kind.value = campaign.kind;
    showKind();
    CivicMap.survey.show(CivicMap.campaigns.slug());
  }

  // ---- sending -----------------------------------------------------------------------------

  function localNow() {
    var d = new Date();
    d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
    return d.toISOString().slice(0, 16);
  }

  /** A v4 UUID; crypto.randomUUID needs a secure context, which a phone on plain http lacks. */
  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function attributes(kind) {
    if (kind === "service") {
      return CivicMap.sdg16.addAnswers(clean({ name: form.service_name.value.trim(), status: form.status.value }));
    }
    if (kind === "litter") {
      var items = {};
      Array.prototype.forEach.call(document.querySelectorAll("#items .item-row"), function (row) {
        var code = row.querySelector(".item-code").value, n = parseInt(row.querySelector(".item-count").value, 10);
        if (code && n >= 0) items[code] = (items[code] || 0) + n;
      });
      return { survey_length_m: Number(form.survey_length_m.value), items: items };
    }
    return clean({ severity: Number(form.severity.value), people_affected: form.people_affected.value === "" ? null : Number(form.people_affected.value) });
  }

  function clean(obj) {
    Object.keys(obj).forEach(function (k) { if (obj[k] === "" || obj[k] === null) delete obj[k]; });
    return obj;
  }

  function feature() {
    var kind = form.kind.value;
    var reporter = clean({ sex: form.sex.value, age_group: form.age_group.value,
      disability: form.disability.value === "" ? null : form.disability.value === "yes" });
    CivicMap.sdg16.addReporter(reporter, kind);
    var props = clean({
      kind: kind,
      category: form.category.value,
      observed_at: new Date(form.observed_at.value).toISOString(),
      client_id: newClientId(),
      accuracy_m: form.accuracy_m.value === "" ? null : Number(form.accuracy_m.value),
      campaign: form.campaign.value,
      description: form.description.value.trim(),
      sensitive: form.sensitive.checked,
      attributes: attributes(kind),
    });
    if (Object.keys(reporter).length) props.reporter = reporter;
    return { type: "Feature", geometry: { type: "Point", coordinates: [Number(form.lon.value), Number(form.lat.value)] }, properties: props };
  }

  function submit(e) {
    e.preventDefault();
    if (!form.reportValidity()) return;
    if (CivicMap.pin.needsCheck()) { askToCheckPin(); return; }
    var button = document.getElementById("send");
    button.disabled = true;
    if (CivicMap.photos.busy()) say("wait", "Preparing your photos…");
    CivicMap.photos.ready().then(function (photos) {
      var f = feature();
      return CivicMap.outbox.addReport(f, photos).then(function () { queued(f, photos.length); }, function () {
        say("bad", "Your photos could not be kept on this phone (its storage may be full, or private browsing blocks it), " +
          "so the report was not sent yet. Remove the photos to send it without them, or free some space and send again.");
      });
    }).then(enable, enable);
    function enable() { button.disabled = false; }
  }

  /** The pin was put on a zoomed-out map: offer to check it, or to send it as it is. */
  function askToCheckPin() {
    show([notice("wait", "Your pin was put on the map while it was zoomed out, so it may be far from the place.",
      u.el("div", { class: "actions" },
        u.el("button", { type: "button", id: "check-pin", text: "Check the pin", onclick: function () {
          show([]);
          CivicMap.pin.showPin();
        } }),
        u.el("button", { type: "button", id: "send-as-placed", class: "primary", text: "Send it as placed", onclick: function () {
          CivicMap.pin.confirm();
          show([]);
          form.requestSubmit();
        } })))]);
    document.getElementById("check-pin").focus();
  }

  /** The report `f` is in the outbox: count the visit if asked, clear the form, send. */
  function queued(f, photos) {
    CivicMap.pin.remember(f.geometry.coordinates[1], f.geometry.coordinates[0]);
    var visit = document.getElementById("count-visit").checked && CivicMap.effort.countWithReport(f);
    clearForNext();
    var what = photos ? "your report and its " + (photos === 1 ? "photo are" : photos + " photos are") : "your report is";
    if (visit) what += " (with your visit)";
    if (!navigator.onLine) {
      say("wait", "No connection: " + what + " kept on this phone and will be sent when you are back online.");
      return;
    }
    say("wait", "Sending…");
    CivicMap.outbox.flush().then(function () {
      if (CivicMap.outbox.counts().report) say("wait", "Not sent yet: " + what + " kept on this phone and will be sent when the connection allows.");
    });
  }

  /** Keep where and what kind (volunteers often report several similar things in a row). */
  function clearForNext() {
    ["description", "service_name", "people_affected"].forEach(function (n) { if (form[n]) form[n].value = ""; });
    CivicMap.sdg16.clear();
    form.observed_at.value = localNow();
    CivicMap.photos.clear();
  }

  // ---- what the page says ------------------------------------------------------------------

  /** A notice saying `text`; any further arguments are elements to put under it. */
  function notice(kind, text) {
    return u.el("div", { class: "notice " + kind }, u.el("p", { text: text }), Array.prototype.slice.call(arguments, 2));
  }

  /** Show `notices` (elements) in the result box, instead of what it said. */
  function show(notices) {
    var box = document.getElementById("result");
    box.textContent = "";
    notices.forEach(function (n) { box.appendChild(n); });
    if (notices.length) box.scrollIntoView({ block: "nearest" });
  }

  function say() { show([notice.apply(null, arguments)]); }

  function statusLink(entry, text) {
    if (!entry.id || !entry.receipt) return u.el("span", { text: text + " (sent earlier; no receipt on this phone)" });
    return u.el("a", { href: "/reports/" + encodeURIComponent(entry.id) + "?receipt=" + encodeURIComponent(entry.receipt), text: text });
  }

  /** What became of what was sent: a notice per report, in the result box; visits and
   * questionnaires are told in their own sections. */
  function showResults(results) {
    var notices = [];
    (results || []).forEach(function (r) {
      if (r.type === "effort") return showVisit(r);
      if (r.type === "response") return; // the questionnaire tells of its own (volunteer-form.js)
      if (r.outcome === "created" || r.outcome === "duplicate") {
        var body = r.body || {};
        notices.push(notice("ok", "Thank you: your report was received.", u.el("p", {}, "Keep this link to see what becomes of it: ",
          statusLink({ id: body.id, receipt: body.receipt }, "status of your report")),
          r.photosMissing ? u.el("p", { text: "Its photos were lost on this phone (the browser's storage was cleared), so it was sent without them." }) : null));
      } else if (r.outcome === "rejected") {
        notices.push(refused(r));
      }
    });
    if (notices.length) show(notices);
  }

  function showVisit(r) {
    if (r.outcome === "created" || r.outcome === "duplicate") {
      var p = r.feature.properties;
      CivicMap.effort.say("ok", "Received: your visit (" + (r.feature.geometry.type === "LineString" ? "a walk" : "“I looked here”") +
        ", " + new Date(p.started_at).toLocaleString([], { dateStyle: "short", timeStyle: "short" }) + ") is counted. Thank you.");
    } else if (r.outcome === "rejected") {
      CivicMap.effort.say("bad", "A visit (“I looked here”) was not accepted: " + u.problemText(r.body, r.status));
    }
  }

  /** Which photos (numbers from 1) a problem names, and whether it is about photos at all. */
  function photoProblems(body) {
    var numbers = [], any = false, only = true;
    ((body && body.errors) || []).forEach(function (e) {
      if (!e.loc || e.loc[0] !== "photo") { only = false; return; }
      any = true;
      if (typeof e.loc[1] === "number") numbers.push(e.loc[1]);
    });
    return { any: any, only: any && only, numbers: numbers };
  }

  /** A notice for a report the server refused: why, which part to fix, and a button to put it
   * back in the form (with the photos the server did not object to), since it left the outbox. */
  function refused(r) {
    var bad = photoProblems(r.body), fix;
    if (bad.numbers.length) {
      fix = "Photo " + bad.numbers.join(" and ") + " could not be used" + (bad.only ? ": the rest of the report is fine. " : ". ") +
        "Put the report back, remove that photo or take another, and send it again.";
    } else if (bad.any) fix = "Its photos could not be used: put the report back, remove some photos, and send it again.";
    else fix = "Put it back in the form, correct it and send it again.";
    var keep = (r.photos || []).filter(function (b, i) { return bad.numbers.indexOf(i + 1) < 0; });
    if (bad.any && !bad.numbers.length) keep = [];
    var back = u.el("button", { type: "button", class: "restore", text: "Put it back in the form", onclick: function () {
      restore(r.feature, keep);
      say("wait", "Your report is back in the form: correct it and press “Send report”.");
      form.scrollIntoView();
    } });
    return notice("bad", "A report was not accepted: " + u.problemText(r.body, r.status), u.el("p", { text: fix }), u.el("div", { class: "actions" }, back));
  }

  /** Fill the form with a report that was refused, so nothing typed is lost. */
  function restore(f, photos) {
    var p = f.properties, a = p.attributes || {}, r = p.reporter || {};
    CivicMap.pin.place(f.geometry.coordinates[1], f.geometry.coordinates[0], p.accuracy_m || null, true);
    CivicMap.campaigns.choose(p.campaign || "");
    form.kind.value = p.kind;
    showKind();
    form.category.value = p.category;
    form.sensitive.checked = !!p.sensitive;
    form.description.value = p.description || "";
    var when = new Date(p.observed_at);
    when.setMinutes(when.getMinutes() - when.getTimezoneOffset());
    form.observed_at.value = when.toISOString().slice(0, 16);
    form.sex.value = r.sex || "";
    form.age_group.value = r.age_group || "";
    form.disability.value = r.disability === undefined ? "" : r.disability ? "yes" : "no";
    if (p.kind === "service") {
      form.service_name.value = a.name || "";
      form.status.value = a.status || "";
      CivicMap.sdg16.restore(a, r);
    } else if (p.kind === "hotspot") {
      form.severity.value = String(a.severity || 3);
      form.people_affected.value = a.people_affected === undefined ? "" : a.people_affected;
    } else if (p.kind === "litter") {
      form.survey_length_m.value = a.survey_length_m || "";
      document.getElementById("items").textContent = "";
      Object.keys(a.items || {}).forEach(function (code) {
        addItemRow(false);
        var rows = document.querySelectorAll("#items .item-row"), row = rows[rows.length - 1];
        row.querySelector(".item-code").value = code;
        row.querySelector(".item-count").value = a.items[code];
      });
      if (!document.querySelector("#items .item-row")) addItemRow(false);
    }
    CivicMap.photos.clear();
    CivicMap.photos.restore(photos || []);
  }

  /** The outbox in one line: how much waits, and whether the phone is offline. */
  function render() {
    var by = CivicMap.outbox.counts(), n = by.report + by.effort + by.response;
    var notice = document.getElementById("outbox-notice");
    var count = document.getElementById("outbox-count");
    count.textContent = String(n);
    count.setAttribute("data-count", String(n));
    document.getElementById("outbox-text").lastChild.textContent = waiting(by) + " waiting" + (navigator.onLine ? "" : " · offline");
    notice.title = navigator.onLine ? "Kept on this phone until they are sent." :
      "You are offline: they are kept on this phone and sent when you are back online.";
    notice.hidden = n === 0;
    document.getElementById("outbox-send").hidden = !navigator.onLine;
    renderMine();
  }

  /** What waits, after its count: "reports", "visits", "questionnaires", or
   * "items (2 reports, 1 visit)". */
  function waiting(by) {
    var reports = by.report === 1 ? "report" : "reports", visits = by.effort === 1 ? "visit" : "visits";
    var answers = by.response === 1 ? "questionnaire" : "questionnaires";
    var parts = [[by.report, reports], [by.effort, visits], [by.response, answers]].filter(function (p) { return p[0]; });
    if (!parts.length) return " " + reports;
    if (parts.length > 1) return " items (" + parts.map(function (p) { return p[0] + " " + p[1]; }).join(", ") + ")";
    if (by.effort) return " " + visits + " (“I looked here”)";
    return " " + parts[0][1];
  }

  function renderMine() {
    var list = document.getElementById("mine"), mine = CivicMap.outbox.mine();
    if (!mine.length) return;
    list.textContent = "";
    mine.forEach(function (m) {
      var photos = m.photos ? " · " + m.photos + (m.photos === 1 ? " photo" : " photos") : "";
      list.appendChild(u.el("li", {}, statusLink(m, categoryLabel(m.kind, m.category) + " · " + (m.observed_at || "").slice(0, 10) + photos)));
    });
  }

  function registerServiceWorker() {
    // Service workers need a secure context (https, or localhost); on plain http the page still
    // keeps reports while it is open, it just cannot itself be opened offline.
    if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* page works without it */ });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
