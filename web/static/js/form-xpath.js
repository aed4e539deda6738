/* A form's `relevant`, `required` and `constraint`, evaluated in the browser as the server
 * evaluates them (mapping/reports/forms/xpath.py), with the browser's own XPath 1.0.
 *
 * The browser knows XPath 1.0 but not ODK's functions, so each call of one is rewritten into
 * plain XPath 1.0 before the expression is evaluated on the instance document (answers as an
 * XForm holds them). Dates are held as their day count since 1970 and today() is one too, so
 * `. <= today()` compares days, as on the server. regex() has no XPath 1.0 equivalent: its
 * arguments are evaluated first and the call becomes true() or false().
 *
 * The server is the authority: an expression this module cannot evaluate counts as met (and
 * a question whose relevance cannot be told is shown), and the server's 422 says the rest. */
(function () {
  "use strict";
  var CivicMap = (window.CivicMap = window.CivicMap || {});
  var DAY_MS = 86400000;
  var NAME = /^[A-Za-z_][\w.\-]*(?=\s*\()/;
  var DATE = /^\s*(\d{4})-(\d{2})-(\d{2})\s*$/;

  /** Days since 1970-01-01 of a `YYYY-MM-DD` text, or null. */
  function dayCount(text) {
    var m = DATE.exec(text || "");
    return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS : null;
  }

  /** Today on this phone, as a day count (its own calendar day, not UTC's). */
  function today() {
    var d = new Date();
    return Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) / DAY_MS;
  }

  /** Now as a day count with the time of day as its fraction, in UTC as the server reads it. */
  function now() { return Date.now() / DAY_MS; }

  /** The arguments of the call whose "(" is at `open`, as source text, and where it ends. */
  function callArgs(src, open) {
    var depth = 0, start = open + 1, args = [], quote = null;
    for (var i = open; i < src.length; i++) {
      var c = src[i];
      if (quote) { if (c === quote) quote = null; continue; }
      if (c === "'" || c === '"') quote = c;
      else if (c === "(") depth += 1;
      else if (c === ")") {
        depth -= 1;
        if (depth === 0) {
          if (src.slice(start, i).trim() || args.length) args.push(src.slice(start, i));
          return { args: args, end: i + 1 };
        }
      } else if (c === "," && depth === 1) { args.push(src.slice(start, i)); start = i + 1; }
    }
    throw new Error("unbalanced parentheses");
  }

  function str(a) { return "string(" + a + ")"; }

  /** ODK's functions in XPath 1.0. Each gets its arguments already rewritten, and `run`, to
   * evaluate one as a string where no rewrite can do (regex). */
  var ODK = {
    "selected": function (a) {
      return "contains(concat(' ', normalize-space(" + a[0] + "), ' '), concat(' ', normalize-space(" + a[1] + "), ' '))";
    },
    "count-selected": function (a) {
      var s = "normalize-space(" + a[0] + ")";
      return "(string-length(" + s + ") - string-length(translate(" + s + ", ' ', '')) + number(" + s + " != ''))";
    },
    "if": function (a) {
      return "concat(substring(" + str(a[1]) + ", 1 div boolean(" + a[0] + ")), substring(" + str(a[2]) +
        ", 1 div not(boolean(" + a[0] + "))))";
    },
    "coalesce": function (a) {
      return "concat(" + str(a[0]) + ", substring(" + str(a[1]) + ", 1 div (string-length(" + str(a[0]) + ") = 0)))";
    },
    "int": function (a) { return "(number(" + a[0] + ") - (number(" + a[0] + ") mod 1))"; },
    "boolean-from-string": function (a) { return "(" + str(a[0]) + " = 'true' or " + str(a[0]) + " = '1')"; },
    "today": function () { return String(today()); },
    "now": function () { return String(now()); },
    "date": function (a, run) {
      var days = dayCount(run(a[0]));
      return days === null ? "number(" + a[0] + ")" : String(days);
    },
    "regex": function (a, run) {
      var pattern = run(a[1]);
      if (pattern.length > 2000) throw new Error("pattern too long");
      return new RegExp(pattern).test(run(a[0])) ? "true()" : "false()";
    },
  };

  /** `src` with every call of an ODK function made XPath 1.0; `run(expr)` evaluates a
   * rewritten expression as a string. */
  function rewrite(src, run) {
    var out = "", i = 0;
    while (i < src.length) {
      var c = src[i];
      if (c === "'" || c === '"') {
        var close = src.indexOf(c, i + 1);
        if (close < 0) throw new Error("unclosed string");
        out += src.slice(i, close + 1);
        i = close + 1;
        continue;
      }
      var name = /[\w.\-\/@$:]/.test(src[i - 1] || " ") ? null : NAME.exec(src.slice(i));
      if (name && Object.prototype.hasOwnProperty.call(ODK, name[0])) {
        var call = callArgs(src, src.indexOf("(", i));
        var args = call.args.map(function (a) { return rewrite(a, run); });
        out += ODK[name[0]](args, run);
        i = call.end;
      } else if (name) {
        out += name[0];
        i += name[0].length;
      } else {
        out += c;
        i += 1;
      }
    }
    return out;
  }

  /** Evaluate `expr` with `node` (of the instance document) as `.`: a boolean, or
   * `otherwise` when the browser cannot evaluate it. */
  function test(expr, node, otherwise) {
    try {
      var doc = node.ownerDocument || node;
      var run = function (e) { return doc.evaluate(e, node, null, XPathResult.STRING_TYPE, null).stringValue; };
      return doc.evaluate(rewrite(expr, run), node, null, XPathResult.BOOLEAN_TYPE, null).booleanValue;
    } catch (e) {
      return otherwise;
    }
  }

  /** An instance document with an element at each of `paths` (`/data/group/name`): the
   * element of each path, by path. */
  function instance(paths) {
    var root = paths.length ? paths[0].split("/")[1] : "data";
    var doc = document.implementation.createDocument(null, root, null), nodes = {};
    paths.forEach(function (path) {
      var parent = doc.documentElement, steps = path.split("/").slice(2), at = "/" + root;
      steps.forEach(function (step) {
        at += "/" + step;
        if (!nodes[at]) { nodes[at] = doc.createElement(step); parent.appendChild(nodes[at]); }
        parent = nodes[at];
      });
    });
    return nodes;
  }

  CivicMap.formXPath = { test: test, instance: instance, dayCount: dayCount, rewrite: rewrite };
})();
