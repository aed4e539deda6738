/* The volunteer page's questionnaire: the XLSForm of the chosen campaign, drawn from the
 * spec the server gives (GET /api/v1/forms?campaign=), kept on the phone so that it can be
 * answered offline, and sent through the outbox.
 *
 * Questions that do not apply (`relevant`) are hidden and their answers neither kept nor sent,
 * since the server refuses an answer to a question that does not apply. Required answers and
 * constraints are checked here first; the server checks them again, and when it refuses an
 * answer its message is shown next to the question it names. */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});
  var u = CivicMap.util, xp = CivicMap.formXPath;
  var KEY = "civicmap.forms.v1";
  var NEEDED = "This question needs an answer.", PIN_NEEDED = "Place the pin on the map above.";
  var NOT_ALLOWED = "This answer is not allowed here.";
  var api, pinForm, newClientId, section, box, status, form = null, language = null, nodes = {};
  var choices = [], picked = null;

  function kept() {
    try { return JSON.parse(localStorage.getItem(KEY) || "{}"); } catch (e) { return {}; }
  }

  /** The forms of campaign `slug` from the network, kept for offline use; null when the
   * network cannot say. */
  function fetchForms(slug) {
    if (!navigator.onLine) return Promise.resolve(null);
    return u.getJSON(api + "/forms?campaign=" + encodeURIComponent(slug)).then(function (res) {
      if (!res.ok || !res.body || !Array.isArray(res.body.forms)) return null;
      var all = kept();
      all[slug] = res.body.forms;
      try { localStorage.setItem(KEY, JSON.stringify(all)); } catch (e) { /* full: used while open */ }
      return res.body.forms;
    }, function () { return null; });
  }

  /** The form of `forms` to show: the one the volunteer picked, else the first. */
  function pick(forms) {
    var usable = (forms || []).filter(function (f) { return f.page; });
    choices = usable;
    return usable.filter(function (f) { return f.form_id === picked; })[0] || usable[0] || null;
  }

  /** The campaign chosen is `slug` ("" for none): show its questionnaire, if it has one. The
   * kept copy is shown at once (a bad connection may take long to answer); the network's, when
   * it comes, replaces it only if it differs, with the answers given meanwhile kept. */
  function show(slug) {
    var keptForm = slug ? pick(kept()[slug]) : null;
    if (!(keptForm && form && keptForm.hash === form.hash)) draw(keptForm);  // the same: answers stay
    if (!slug) return Promise.resolve();
    return fetchForms(slug).then(function (forms) {
      if (forms === null || CivicMap.campaigns.slug() !== slug) return;
      var fresh = pick(forms);
      if ((fresh && fresh.hash) === (form && form.hash)) return;
      var answers = form ? update() : {};
      draw(fresh);
      if (fresh) restore(answers);
    });
  }

  // ---- words -------------------------------------------------------------------------------

  /** The form's language for this page: the page's own, where the form has it; else the
   * form's default ("default", or its first). */
  function pickLanguage(f) {
    var langs = f.languages || [], page = (document.documentElement.lang || "en").toLowerCase().split("-")[0];
    var match = langs.filter(function (l) { return (/\(([\w-]+)\)\s*$/.exec(l) || [])[1] === page; })[0];
    return match || (langs.indexOf("default") >= 0 ? "default" : langs[0] || null);
  }

  function words(label) {
    if (!label || typeof label === "string") return label || "";
    return label[language] || label["default"] || label[Object.keys(label)[0]] || "";
  }

  // ---- drawing -----------------------------------------------------------------------------

  function draw(f) {
    form = f;
    box.textContent = "";
    status.textContent = "";
    section.hidden = !f;
    if (!f) return;
    language = language && (f.languages || []).indexOf(language) >= 0 ? language : pickLanguage(f);
    document.getElementById("survey-title").textContent = f.title;
    drawLanguages(f);
    drawChoices(f);
    var questions = f.page.questions, holders = {};
    nodes = xp.instance(questions.map(function (q) { return q.path; }));
    f.page.groups.forEach(function (g) {
      var parent = holders[g.path.slice(0, g.path.lastIndexOf("/"))] || box;
      holders[g.path] = parent.appendChild(u.el("fieldset", { class: "survey-group" }, u.el("legend", { text: words(g.label) })));
    });
    questions.forEach(function (q) {
      var parent = holders[q.path.slice(0, q.path.lastIndexOf("/"))] || box;
      parent.appendChild(question(q));
    });
    update();
  }

  /** A select of the campaign's questionnaires, when it has more than one. */
  function drawChoices(f) {
    var select = document.getElementById("survey-choice");
    select.parentNode.hidden = choices.length < 2;
    select.textContent = "";
    choices.forEach(function (c) { select.appendChild(u.el("option", { value: c.form_id, text: c.title })); });
    select.value = f.form_id;
  }

  function drawLanguages(f) {
    var select = document.getElementById("survey-language"), langs = f.languages || [];
    select.parentNode.hidden = langs.length < 2;
    select.textContent = "";
    langs.forEach(function (l) { select.appendChild(u.el("option", { value: l, text: l.replace(/\s*\([\w-]+\)\s*$/, "") })); });
    if (language) select.value = language;
  }

  function id(q, suffix) { return "q-" + q.name + (suffix || ""); }

  /** One question: its label (with a required mark), its control, and a place for its error. */
  function question(q) {
    var wrap = u.el("div", { class: "survey-q", "data-question": q.name, "data-type": q.type });
    var error = u.el("p", { id: id(q, "-error"), class: "survey-error", hidden: true });
    var mark = [q.required ? u.el("span", { class: "required-mark", text: " (required)" }) : null,
      q.personal ? u.el("span", { class: "hint", text: " (about you: never listed, used only in totals)" }) : null];
    if (q.type === "note") return u.el("p", { class: "survey-q survey-note", "data-question": q.name, text: words(q.label) });
    if (q.type === "select_one" || q.type === "select_multiple") {
      var type = q.type === "select_one" ? "radio" : "checkbox";
      wrap.appendChild(u.el("fieldset", { "aria-describedby": id(q, "-error") }, u.el("legend", {}, words(q.label), mark),
        u.el("div", { class: "radios" }, (q.choices || []).map(function (c, i) {
          return u.el("label", { for: id(q, "-" + i) }, u.el("input", { type: type, id: id(q, "-" + i), name: q.name, value: c.name,
            onchange: update }), " " + words(c.label));
        }))));
    } else if (q.type === "geopoint") {
      wrap.appendChild(u.el("p", { class: "survey-label", id: id(q, "-label") }, words(q.label), mark));
      wrap.appendChild(u.el("p", { class: "hint survey-geopoint", id: id(q), "aria-describedby": id(q, "-error") }));
    } else if (q.type === "image") {
      wrap.appendChild(u.el("p", { class: "survey-label" }, words(q.label), mark));
      wrap.appendChild(u.el("p", { class: "hint", text: "This question takes a photo, which only ODK Collect can send " +
        "(server address: " + window.location.origin + "/openrosa). This page sends the other answers." }));
    } else {
      wrap.appendChild(u.el("label", { for: id(q) }, words(q.label), mark));
      wrap.appendChild(u.el("input", control(q)));
    }
    wrap.appendChild(error);
    return wrap;
  }

  function control(q) {
    var attrs = { id: id(q), name: q.name, "aria-describedby": id(q, "-error"), oninput: update, onchange: update };
    if (q.type === "integer") { attrs.type = "number"; attrs.step = "1"; attrs.inputmode = "numeric"; }
    else if (q.type === "decimal") { attrs.type = "number"; attrs.step = "any"; attrs.inputmode = "decimal"; }
    else if (q.type === "date") attrs.type = "date";
    else { attrs.type = "text"; attrs.maxlength = "2000"; }
    return attrs;
  }

  // ---- answers -----------------------------------------------------------------------------

  function controls(q) { return section.querySelectorAll("[name='" + q.name + "']"); }

  /** The answer to `q` as the API takes it, or null when unanswered. */
  function answer(q) {
    var inputs = controls(q);
    if (q.type === "select_one") {
      var on = Array.prototype.filter.call(inputs, function (i) { return i.checked; })[0];
      return on ? on.value : null;
    }
    if (q.type === "select_multiple") {
      var chosen = Array.prototype.filter.call(inputs, function (i) { return i.checked; }).map(function (i) { return i.value; });
      return chosen.length ? chosen : null;
    }
    if (q.type === "geopoint") return pinAnswer();
    if (q.type === "note" || q.type === "image" || !inputs.length) return null;
    var text = inputs[0].value.trim();
    if (text === "") return null;
    if (q.type === "integer") return /^-?\d+$/.test(text) ? Number(text) : text;
    if (q.type === "decimal") return isFinite(Number(text)) ? Number(text) : text;
    return text;
  }

  /** The page's pin, as a geopoint answer. */
  function pinAnswer() {
    var lat = pinForm.lat.value, lon = pinForm.lon.value;
    if (lat === "" || lon === "") return null;
    var point = [Number(lon), Number(lat)];
    return pinForm.accuracy_m.value === "" ? point : { coordinates: point, accuracy_m: Number(pinForm.accuracy_m.value) };
  }

  /** An answer as the instance document holds it (dates as day counts, choices spaced). */
  function held(q, value) {
    if (value === null) return "";
    if (q.type === "select_multiple") return value.join(" ");
    if (q.type === "date") { var days = xp.dayCount(value); return days === null ? value : String(days); }
    if (q.type === "geopoint") {
      var c = value.coordinates || value;
      return c[1] + " " + c[0] + " 0 " + (value.accuracy_m || 0);
    }
    return String(value);
  }

  /** Walk the form in order: fill the instance, decide what applies, show and hide. Returns
   * the answers that apply. */
  function update() {
    if (!form) return {};
    var answers = {};
    form.page.questions.forEach(function (q) {
      var node = nodes[q.path], wrap = section.querySelector("[data-question='" + q.name + "']");
      var applies = !q.relevant || xp.test(q.relevant, node, true);
      var value = applies ? answer(q) : null;
      node.textContent = held(q, value);
      wrap.hidden = !applies;
      Array.prototype.forEach.call(wrap.querySelectorAll("input"), function (i) { i.disabled = !applies; });
      if (q.type === "geopoint") {
        wrap.querySelector(".survey-geopoint").textContent = value ? "The pin on the map above: " +
          (value.coordinates || value)[1].toFixed(5) + ", " + (value.coordinates || value)[0].toFixed(5) :
          "Place the pin on the map above: this answer is its place.";
      }
      if (applies && value !== null) answers[q.name] = value;
    });
    return answers;
  }

  /** What breaks a rule here, by question name; the server checks again. */
  function problems(answers) {
    var found = {};
    form.page.questions.forEach(function (q) {
      var node = nodes[q.path];
      if (section.querySelector("[data-question='" + q.name + "']").hidden || q.type === "note") return;
      var value = answers[q.name];
      if (value === undefined && q.required && q.type !== "image" && xp.test(q.required, node, false)) {
        found[q.name] = q.type === "geopoint" ? PIN_NEEDED : NEEDED;
      } else if (value !== undefined && typeof value === "string" && /^(integer|decimal)$/.test(q.type)) {
        found[q.name] = q.type === "integer" ? "A whole number, please." : "A number, please.";
      } else if (value !== undefined && q.constraint && !xp.test(q.constraint, node, true)) {
        found[q.name] = words(q.constraint_message) || NOT_ALLOWED;
      }
    });
    return found;
  }

  /** Show `messages` (by question name) next to their questions; the first gets the focus. */
  function showProblems(messages) {
    var first = null;
    Array.prototype.forEach.call(section.querySelectorAll(".survey-q"), function (wrap) {
      var name = wrap.getAttribute("data-question"), error = wrap.querySelector(".survey-error");
      if (!error) return;
      error.textContent = messages[name] || "";
      error.hidden = !messages[name];
      wrap.classList.toggle("invalid", !!messages[name]);
      if (messages[name] && !first) first = wrap;
    });
    if (first) {
      (first.querySelector("input:not([disabled])") || first).focus();
      first.scrollIntoView({ block: "center" });
    }
    return first !== null;
  }

  function clear() {
    Array.prototype.forEach.call(section.querySelectorAll("input"), function (i) {
      if (i.type === "radio" || i.type === "checkbox") i.checked = false; else i.value = "";
    });
    showProblems({});
    update();
  }

  /** Put `answers` back in the form (a response the server refused). */
  function restore(answers) {
    clear();
    form.page.questions.forEach(function (q) {
      var value = answers[q.name];
      if (value === undefined || q.type === "geopoint") return;
      var want = [].concat(value).map(String);
      Array.prototype.forEach.call(controls(q), function (i) {
        if (i.type === "radio" || i.type === "checkbox") i.checked = want.indexOf(i.value) >= 0;
        else i.value = String(value);
      });
      update();
    });
  }

  // ---- sending -----------------------------------------------------------------------------

  function submit(e) {
    e.preventDefault();
    if (!form) return;
    var answers = update();
    if (showProblems(problems(answers))) { say("bad", "Some answers need a look: see the messages beside them."); return; }
    var body = { answers: answers, version: form.version, client_id: newClientId() };
    CivicMap.outbox.addResponse({ form_id: form.form_id, campaign: form.campaign, title: form.title, body: body });
    clear();
    if (!navigator.onLine) { say("wait", "No connection: your answers are kept on this phone and will be sent when you are back online."); return; }
    say("wait", "Sending…");
    CivicMap.outbox.flush().then(function () {
      if (CivicMap.outbox.counts().response) say("wait", "Not sent yet: your answers are kept on this phone and will be sent when the connection allows.");
    });
  }

  function say(kind, text) {
    status.textContent = "";
    status.appendChild(u.el("div", { class: "notice " + kind }, u.el("p", { text: text })));
  }

  /** What became of the responses the outbox sent: thanks, or the server's objections put
   * next to their questions, with the answers back in the form. */
  function sent(results) {
    (results || []).forEach(function (r) {
      if (r.type !== "response") return;
      if (r.outcome === "created" || r.outcome === "duplicate") {
        say("ok", "Thank you: your answers to “" + (r.item.title || r.item.form_id) + "” were received.");
      } else if (r.outcome === "rejected") {
        rejected(r);
      }
    });
  }

  /** The server's messages, with the form's own words for a broken constraint (in the
   * volunteer's language, without the rule's XPath) where the form has them. */
  function readable(messages) {
    form.page.questions.forEach(function (q) {
      var msg = messages[q.name];
      if (msg === "is required") messages[q.name] = q.type === "geopoint" ? PIN_NEEDED : NEEDED;
      else if (msg && /^breaks its constraint/.test(msg)) messages[q.name] = words(q.constraint_message) || NOT_ALLOWED;
    });
    return messages;
  }

  function rejected(r) {
    var messages = {}, elsewhere = [];
    ((r.body && r.body.errors) || []).forEach(function (e) {
      if (e.loc && e.loc[0] === "answers" && e.loc[1]) messages[e.loc[1]] = e.msg;
      else elsewhere.push(e);
    });
    var again = function () {
      if (!form || form.form_id !== r.item.form_id) {
        say("bad", "Answers to “" + (r.item.title || r.item.form_id) + "” were not accepted: " + u.problemText(r.body, r.status));
        return;
      }
      restore(r.item.body.answers || {});
      var why = Object.keys(messages).length && !elsewhere.length ? "see the messages beside the questions." :
        u.problemText(Object.assign({}, r.body, { errors: elsewhere }), r.status);
      say("bad", "Your answers were not accepted: " + why + " Correct them and send again.");
      showProblems(readable(messages));
    };
    // Bring up the refused form: its campaign, and it among the campaign's questionnaires.
    picked = r.item.form_id;
    if (r.item.campaign && CivicMap.campaigns.slug() !== r.item.campaign) {
      CivicMap.campaigns.choose(r.item.campaign);
      show(r.item.campaign).then(again);
      return;
    }
    if (form && form.form_id !== picked) draw(pick(choices));
    again();
  }

  function init(options) {
    api = options.api;
    pinForm = options.pinForm;
    newClientId = options.newClientId;
    section = document.getElementById("survey");
    box = document.getElementById("survey-questions");
    status = document.getElementById("survey-status");
    document.getElementById("survey-form").addEventListener("submit", submit);
    document.getElementById("survey-choice").addEventListener("change", function (e) {
      picked = e.target.value;
      draw(pick(choices));
    });
    document.getElementById("survey-language").addEventListener("change", function (e) {
      var answers = update();
      language = e.target.value;
      draw(form);
      restore(answers);
    });
    ["lat", "lon", "accuracy_m"].forEach(function (n) { pinForm[n].addEventListener("input", update); });
    pinForm.addEventListener("pinplaced", update);
    CivicMap.outbox.onSent(sent);
  }

  CivicMap.survey = { init: init, show: show, update: update };
})();
