// The trial page's learning curve; the rest of the page is rendered (and escaped) on the server.
"use strict";
(function () {
  var data = JSON.parse(document.getElementById("trial-data").textContent);
  var el = document.getElementById("curve");
  if (el && data.curve.steps.length) {
    Plotly.newPlot(el, [{x: data.curve.steps, y: data.curve.values, mode: "lines+markers", name: data.metric}],
      {margin: {t: 10, r: 10, b: 40, l: 60}, height: 300, xaxis: {title: {text: "step"}},
       yaxis: {title: {text: data.metric}}}, {responsive: true, displaylogo: false});
  }
  document.body.setAttribute("data-ready", "1");
})();
