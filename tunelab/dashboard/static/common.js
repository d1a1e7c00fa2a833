// Small helpers shared by the dashboard's pages. Every string from the storage goes in through
// textContent, never innerHTML, so names like <script> show as text.
"use strict";
var TL = {
  getJSON: function (url) {
    return fetch(url, {headers: {"Accept": "application/json"}}).then(function (r) {
      if (!r.ok) { return r.json().then(function (e) { throw new Error(e.error || r.statusText); }); }
      return r.json();
    });
  },
  el: function (tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  },
  fmt: function (v) {
    if (v === null || v === undefined) { return ""; }
    if (typeof v === "number") { return Number.isInteger(v) ? String(v) : String(+v.toPrecision(6)); }
    return String(v);
  },
  seconds: function (s) {
    if (s === null || s === undefined) { return "-"; }
    if (s < 120) { return s.toFixed(1) + " s"; }
    if (s < 7200) { return (s / 60).toFixed(1) + " min"; }
    return (s / 3600).toFixed(1) + " h";
  },
  // Whether a value axis reads better logarithmic: tunelab.report.log_axis_suits, the same rule. Every finite
  // value positive, and three decades or more, or the middle 80 % squashed into a tenth of a linear axis
  // while a log axis gives them at least twice that room.
  logSuits: function (values) {
    var v = values.filter(function (x) { return x !== null && x !== undefined && isFinite(x); });
    if (v.length < 3 || v.some(function (x) { return x <= 0; })) { return false; }
    v.sort(function (a, b) { return a - b; });
    var lo = v[0], hi = v[v.length - 1];
    if (hi <= lo) { return false; }
    if (hi / lo >= 1e3) { return true; }
    function q(p) {  // linear interpolation between order statistics, as numpy.quantile
      var pos = p * (v.length - 1), i = Math.floor(pos), f = pos - i;
      return i + 1 < v.length ? v[i] + f * (v[i + 1] - v[i]) : v[i];
    }
    var q10 = q(0.1), q90 = q(0.9);
    var linear = (q90 - q10) / (hi - lo), log = Math.log(q90 / q10) / Math.log(hi / lo);
    return linear < 0.1 && log >= 2 * linear;
  },
  plotConfig: {responsive: true, displaylogo: false}
};
