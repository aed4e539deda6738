/* The reporter's status page: what became of a report, read with its receipt from
 * GET /api/v1/reports/{id}/status?receipt=... (API.md). */
(function () {
  "use strict";
  var u = window.CivicMap.util;
  var STATUS_WORDS = {
    pending: "Received, waiting to be checked.",
    verified: "Checked and confirmed by a moderator.",
    rejected: "Not accepted by a moderator.",
    duplicate: "Marked as the same as another report, so it counts once.",
    hidden: "Hidden from the public by a moderator.",
  };

  function init() {
    var box = document.getElementById("report-status");
    var id = box.getAttribute("data-report-id");
    var receipt = new URLSearchParams(window.location.search).get("receipt");
    if (!receipt) return show(box, problem("This link has no receipt, so the report cannot be shown. Use the full link you were given when you sent it."));
    var url = "/api/v1/reports/" + encodeURIComponent(id) + "/status?receipt=" + encodeURIComponent(receipt);
    u.getJSON(url).then(function (res) {
      if (res.ok) return show(box, report(res.body));
      if (res.status === 404 || res.status === 401 || res.status === 403) {
        return show(box, problem("No report matches this link. Check that you opened the whole link you were given; a receipt works only for its own report."));
      }
      show(box, problem("The report could not be looked up just now (" + u.problemText(res.body, res.status) + "). Please try again later."));
    }).catch(function () {
      show(box, problem("No connection: the report cannot be looked up now. Try again when you are online."));
    });
  }

  /** The words for a code, as the taxonomy gives them; the code itself where it has none. */
  function label(code) {
    var labels = u.readConfig().labels || {};
    return labels[code] || code;
  }

  function show(box, node) {
    box.textContent = "";
    box.appendChild(node);
  }

  function problem(text) {
    return u.el("div", { class: "notice bad" }, u.el("p", { text: text }));
  }

  function report(r) {
    var note = r.status_note || r.note;
    return u.el("div", {},
      u.el("div", { class: "notice " + (r.status === "rejected" ? "bad" : "ok") },
        u.el("p", {}, u.el("strong", { text: "Status: " + r.status + ". " }), STATUS_WORDS[r.status] || ""),
        note ? u.el("p", { text: "Note from the moderator: " + note }) : null),
      u.el("dl", { class: "facts" },
        fact("Kind", label(r.kind)), fact("Category", label(r.category)),
        fact("Seen on", (r.observed_at || "").slice(0, 10)), fact("Received on", (r.received_at || "").slice(0, 10))),
      (r.quality || []).length ? u.el("p", { class: "muted", text: "Checks flagged: " + r.quality.join(", ").replace(/_/g, " ") + "." }) : null,
      photos(r.photos),
      (r.areas || []).map(function (a) { return area(a, r.suppression_threshold); }),
      r.license ? u.el("p", { class: "muted", text: "Figures are published under " + r.license + "." }) : null);
  }

  /** The sender's own photos: thumbnails, each a link to the photo full size. The links carry
   * the receipt, which the page's no-referrer policy (and rel=noreferrer) keeps out of Referer. */
  function photos(list) {
    var own = (list || []).filter(function (ph) { return onThisServer(ph.url) && onThisServer(ph.thumb); });
    if (!own.length) return null;
    return u.el("section", { class: "status-photos" },
      u.el("h2", { text: "Your photos" }),
      u.el("ul", { class: "photo-list" }, own.map(function (ph, i) {
        var label = "Your photo " + (i + 1);
        return u.el("li", {}, u.el("a", { href: ph.url, target: "_blank", rel: "noopener noreferrer", title: label + ", full size (opens in a new tab)" },
          u.el("img", { src: ph.thumb, alt: label, loading: "lazy", width: 160, height: 160 })));
      })),
      u.el("p", { class: "muted", text: "Stored without their location data. While the report is public and not marked sensitive, " +
        "anyone can see them on the map; otherwise only you, with this link, and the moderators can." }));
  }

  function onThisServer(url) {
    return typeof url === "string" && /^\/[^\/\\]/.test(url);
  }

  function fact(label, value) {
    return u.el("div", {}, u.el("dt", { text: label }), u.el("dd", { text: value || "–" }));
  }

  function area(a, threshold) {
    var ind = a.indicators || {}, sat = ind.sdg_16_6_2 || {}, lit = ind.sdg_14_1_1 || {};
    return u.el("section", {},
      u.el("h2", {}, "What the data shows in ", u.el("a", { href: "/areas/" + encodeURIComponent(a.code), text: a.name })),
      u.el("table", { class: "figures" }, u.el("tbody", {},
        row("Reports in the area", u.number(a.reports)),
        row("Satisfied with public services (SDG 16.6.2)", u.share(sat.satisfied_share) + (sat.n ? " (n = " + u.number(sat.n) + ")" : "")),
        row("Beach litter items per 100 m (SDG 14.1.1)", u.number(lit.items_per_100m, 1) + (lit.n ? " (n = " + u.number(lit.n) + ")" : "")))),
      u.el("p", { class: "muted", text: "Figures based on fewer than " + threshold + " reports are not shown (suppressed)." }));
  }

  function row(label, value) {
    return u.el("tr", {}, u.el("th", { scope: "row", text: label }), u.el("td", { class: "num", text: value }));
  }

  document.addEventListener("DOMContentLoaded", init);
})();
