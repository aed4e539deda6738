/* Helpers shared by the pages. No framework, no build step: plain scripts that any phone runs.
 *
 * Every piece of text that comes from a report or the API goes into the page through
 * `el()` as a text node, never as HTML, so no one can inject markup through a report. */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});

  /** An element with attributes and children; string children become text, never HTML. */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = String(value);
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    });
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(node, c); });
    else node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }

  /** The page's configuration, which the server wrote as JSON into a script element. */
  function readConfig() {
    var node = document.getElementById("civicmap-config");
    return node ? JSON.parse(node.textContent) : {};
  }

  /** GET a JSON document. HTTP errors come back as {ok: false, status, body}; only a network
   * failure or an abort throws, so callers can tell "the server said no" from "no network". */
  function getJSON(url, options) {
    var init = { headers: { Accept: "application/json, application/geo+json" } };
    if (options && options.signal) init.signal = options.signal;
    return fetch(url, init).then(function (response) {
      return response.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        return { ok: response.ok, status: response.status, body: body };
      });
    });
  }

  /** A sentence a person can act on, from an RFC 9457 problem document. */
  function problemText(body, status) {
    if (!body || typeof body !== "object") return "The server answered " + status + ".";
    var parts = [body.detail || body.title || "The server answered " + status + "."];
    (body.errors || []).slice(0, 5).forEach(function (e) {
      var where = (e.loc || []).filter(function (p) { return p !== "properties"; }).join(" › ");
      parts.push((where ? where + ": " : "") + e.msg);
    });
    return parts.join(" ");
  }

  function number(value, digits) {
    if (value === null || value === undefined) return "suppressed";
    return Number(value).toLocaleString(undefined, { maximumFractionDigits: digits || 0 });
  }

  function share(value) {
    if (value === null || value === undefined) return "suppressed";
    return Math.round(value * 100) + "%";
  }

  /** A function that runs `fn` once calls have stopped for `ms` milliseconds. */
  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  CivicMap.util = {
    el: el,
    readConfig: readConfig,
    getJSON: getJSON,
    problemText: problemText,
    number: number,
    share: share,
    debounce: debounce,
  };
})();
