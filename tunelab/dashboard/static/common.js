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
  plotConfig: {responsive: true, displaylogo: false}
};
