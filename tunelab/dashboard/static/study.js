// The study page. The server sends it complete (summary, first table page, figures as SVG images); this
// script (1) marks the first full render once every figure image has loaded and the keep-going verdict is
// in, (2) then loads plotly.js and swaps the interactive figures in for the images, (3) follows the study:
// only new or changed trials travel (by cursor) every few seconds; the trial table is paged and sorted
// on the server.
//
// Marks for measurements (performance.mark and body attributes):
//   tunelab:first-full-render / data-ready="1"   summary, table page and every figure region drawn
//   tunelab:interactive / data-interactive="1"   plotly figures in place of the images
"use strict";
(function () {
  var body = document.body;
  var studyId = body.getAttribute("data-study-id");
  var refreshMs = +body.getAttribute("data-refresh-ms") || 2000;
  var api = "/api/study/" + studyId;
  var cursor = null, sign = 1, metric = "value";
  var hist = {x: [], y: []}, seen = {};
  var table = {page: 0, size: 50, sort: "number", desc: true, state: ""};
  var logBox = document.getElementById("history-log");
  var logTouched = false, interactive = false, historyReady = false;
  var lastSlowRefresh = Date.now(), changedSinceSlow = false;
  var SLOW_MS = 5000;  // verdict and open figures are refetched at most this often while trials arrive
  var verdictEl = document.getElementById("keep-going");
  var verdictAsOf = verdictEl.hasAttribute("data-as-of") ? Number(verdictEl.getAttribute("data-as-of")) : null;
  var finishedNow = null;

  function showAge() {  // how many trials finished after the shown verdict was computed
    var later = verdictAsOf !== null && finishedNow !== null && finishedNow > verdictAsOf;
    document.getElementById("keep-going-age").textContent = later ?
      "(as of " + verdictAsOf.toLocaleString("en") + " finished trials, " + finishedNow.toLocaleString("en") +
      " now; updating)" : "";
  }

  function setSummary(u) {
    document.getElementById("n-trials").textContent = u.n_trials.toLocaleString("en");
    var counts = document.getElementById("counts");
    counts.textContent = "";
    Object.keys(u.counts).forEach(function (k) {
      if (u.counts[k]) { counts.appendChild(TL.el("span", u.counts[k].toLocaleString("en") + " " + k, "badge state-" + k)); }
    });
    if (u.best !== undefined) {
      document.getElementById("best").textContent = u.best;
      document.getElementById("wall-time").textContent = TL.seconds(u.wall_time);
      document.getElementById("saved").textContent = u.saved;
    }
    var running = (u.counts.running || 0) + (u.counts.waiting || 0);
    finishedNow = u.n_trials - running; showAge();
    var every = "refreshing every " + refreshMs / 1000 + " s";
    document.getElementById("live").textContent = running ?
      "running (" + running + (running === 1 ? " trial" : " trials") + " in progress), " + every : "idle, " + every;
  }

  // ------------------------------------------------------------------ first full render
  function imageDrawn(img) {
    return new Promise(function (resolve) {
      function done() {
        if (!img.naturalWidth) {  // the server could not draw it: say so where it would be
          var note = img.parentNode.querySelector(".note");
          if (note) { note.textContent = "figure not drawn (the server answered with an error)"; }
        }
        resolve();
      }
      if (img.complete) { done(); return; }
      img.addEventListener("load", done, {once: true});
      img.addEventListener("error", done, {once: true});
    });
  }

  function showVerdict(v) {  // the verdict, and how old it is while the server recomputes it
    verdictEl.textContent = v.verdict;
    verdictAsOf = v.as_of; verdictEl.setAttribute("data-as-of", v.as_of);
    finishedNow = Math.max(finishedNow || 0, v.finished);
    showAge();
    if (v.stale) { changedSinceSlow = true; }  // ask again at the next slow refresh, even if no trial arrives
  }

  function verdict() {
    if (!verdictEl.getAttribute("data-pending")) { return Promise.resolve(); }
    return TL.getJSON(api + "/keep_going").then(showVerdict).catch(function (e) {
      verdictEl.textContent = "no estimate: " + e.message;
    }).then(function () { verdictEl.removeAttribute("data-pending"); });
  }

  function afterPaint() {  // resolves once the browser has painted what is in the document now
    return new Promise(function (resolve) { requestAnimationFrame(function () { setTimeout(resolve, 0); }); });
  }

  function firstFullRender() {
    var waits = [verdict()];
    document.querySelectorAll("img.static-figure").forEach(function (img) { waits.push(imageDrawn(img)); });
    return Promise.all(waits).then(afterPaint).then(function () {
      performance.mark("tunelab:first-full-render");
      body.setAttribute("data-plotly-at-first-render", window.Plotly ? "1" : "0");
      body.setAttribute("data-ready", "1");
    });
  }

  // ------------------------------------------------------------------ plotly, loaded after the first render
  var plotlyPromise = null;
  function plotly() {
    if (!plotlyPromise) {
      plotlyPromise = new Promise(function (resolve, reject) {
        if (window.Plotly) { resolve(window.Plotly); return; }
        var s = document.createElement("script");
        s.src = body.getAttribute("data-plotly");
        s.async = true;
        s.onload = function () { resolve(window.Plotly); };
        s.onerror = function () { reject(new Error("plotly.js did not load")); };
        document.head.appendChild(s);
      });
    }
    return plotlyPromise;
  }

  function swapIn(region) { region.classList.add("swapped"); }  // CSS hides the image, shows the plot

  // ------------------------------------------------------------------ history
  function bestLine() {
    var bx = [], by = [], best = Infinity;
    for (var i = 0; i < hist.x.length; i++) {
      var v = hist.y[i];
      if (v !== null && sign * v < best) { best = sign * v; }
      if (best !== Infinity) { bx.push(hist.x[i]); by.push(sign * best); }
    }
    return {x: bx, y: by};
  }

  function drawHistory() {
    if (!interactive || !historyReady) { return; }
    var b = bestLine();
    var traces = [
      {x: hist.x, y: hist.y, mode: "markers", type: "scatter", name: metric, marker: {size: 5, opacity: 0.6}},
      {x: b.x, y: b.y, mode: "lines", type: "scatter", name: "best " + metric, line: {shape: "hv", color: "#ef553b"}}
    ];
    var layout = {margin: {t: 10, r: 10, b: 40, l: 60}, height: 330, xaxis: {title: {text: "trial"}, zeroline: false},
                  yaxis: {title: {text: metric}, type: logBox && logBox.checked ? "log" : "linear"},
                  legend: {orientation: "h"}};
    swapIn(document.getElementById("history-region"));  // before drawing: plotly sizes to a visible box
    Plotly.react("history", traces, layout, TL.plotConfig);
  }

  function addToHistory(rows) {
    var added = false;
    rows.forEach(function (r) {
      // r = [number, state, values, duration, last step]
      if (r[1] === "complete" && r[2] && !seen[r[0]]) {
        seen[r[0]] = true;
        var i = hist.x.length;  // keep numbers ordered: new trials normally come last
        while (i > 0 && hist.x[i - 1] > r[0]) { i--; }
        hist.x.splice(i, 0, r[0]); hist.y.splice(i, 0, r[2][0]);
        added = true;
      }
    });
    if (added && logBox && !logTouched) { logBox.checked = TL.logSuits(hist.y); }
    return added;
  }

  if (logBox) {
    logBox.addEventListener("change", function () {
      logTouched = true;
      if (interactive && historyReady) {
        Plotly.relayout("history", {"yaxis.type": logBox.checked ? "log" : "linear"});
      } else {  // still the image: ask the server for the other scale
        var img = document.getElementById("history-static");
        img.src = img.src.replace(/([?&]log=)[01]/, "$1" + (logBox.checked ? "1" : "0"));
      }
    });
  }

  // ------------------------------------------------------------------ figures
  function drawFigure(region, refresh) {
    var note = region.querySelector(".note"), div = region.querySelector(".plot");
    if (!refresh) { note.textContent = region.tagName === "DETAILS" ? "drawing…" : ""; }
    return Promise.all([plotly(), TL.getJSON(api + "/figure/" + encodeURIComponent(region.getAttribute("data-figure")))])
      .then(function (res) {
        var f = res[1];
        if (!f.figure) { note.textContent = "not drawn: " + f.note; return; }
        note.textContent = "";
        var layout = Object.assign({}, f.figure.layout, {autosize: true});
        layout.height = layout.height || 420;  // a closed <details> gave the box no height to fill
        if (region.tagName !== "DETAILS") { swapIn(region); }
        Plotly.react(div, f.figure.data, layout, TL.plotConfig);
      }).catch(function (e) { note.textContent = "interactive figure not drawn: " + e.message; });
  }

  document.querySelectorAll("details.figure").forEach(function (d) {
    d.addEventListener("toggle", function () {
      if (!d.open || d.getAttribute("data-loaded")) { return; }
      d.setAttribute("data-loaded", "1");
      drawFigure(d, false);
    });
  });

  function refreshSlow() {  // verdict and figures shown at once, at most every SLOW_MS while trials arrive
    if (!changedSinceSlow || Date.now() - lastSlowRefresh < SLOW_MS) { return; }
    lastSlowRefresh = Date.now(); changedSinceSlow = false;
    TL.getJSON(api + "/keep_going").then(showVerdict).catch(function () { /* the old verdict stays */ });
    if (interactive) {
      document.querySelectorAll("section.figure-region[id^='fig-']").forEach(function (r) { drawFigure(r, true); });
    }
  }

  // ------------------------------------------------------------------ table
  function loadTable() {
    var q = "?page=" + table.page + "&size=" + table.size + "&sort=" + encodeURIComponent(table.sort) +
            "&desc=" + (table.desc ? 1 : 0) + (table.state ? "&state=" + encodeURIComponent(table.state) : "");
    return TL.getJSON(api + "/trials" + q).then(renderTable);
  }

  function header(label, key) {
    var th = TL.el("th", label);
    if (key) {
      th.setAttribute("data-sort", key);
      th.title = "sort by " + label;
      if (table.sort === key) { th.className = table.desc ? "sorted-desc" : "sorted-asc"; }
    }
    return th;
  }

  function renderTable(t) {
    var el = document.getElementById("trials");
    var thead = el.querySelector("thead"), tbody = el.querySelector("tbody");
    thead.textContent = ""; tbody.textContent = "";
    var tr = document.createElement("tr");
    tr.appendChild(header("#", "number"));
    tr.appendChild(header("state", "state"));
    t.columns.metrics.forEach(function (m, i) { tr.appendChild(header(m, i === 0 ? "value" : null)); });
    tr.appendChild(header("duration s", "duration"));
    tr.appendChild(header("last step", "steps"));
    t.columns.params.forEach(function (p) { tr.appendChild(header(p, "param:" + p)); });
    thead.appendChild(tr);
    t.rows.forEach(function (r) {
      var row = document.createElement("tr");
      var a = TL.el("a", "#" + r.number);
      a.href = "/study/" + studyId + "/trial/" + r.number;
      var td = document.createElement("td"); td.appendChild(a); row.appendChild(td);
      row.appendChild(TL.el("td", r.state, "state state-" + r.state));
      r.values.forEach(function (v) { row.appendChild(TL.el("td", TL.fmt(v), "num")); });
      row.appendChild(TL.el("td", TL.fmt(r.duration === null ? null : +r.duration.toFixed(2)), "num"));
      row.appendChild(TL.el("td", TL.fmt(r.steps), "num"));
      r.params.forEach(function (p) { var c = TL.el("td", p); c.title = p; row.appendChild(c); });
      tbody.appendChild(row);
    });
    document.getElementById("page-info").textContent = "page " + (t.page + 1) + " of " + t.pages.toLocaleString("en") +
      " (" + t.total.toLocaleString("en") + " trials)";
    document.getElementById("prev").disabled = t.page <= 0;
    document.getElementById("next").disabled = t.page >= t.pages - 1;
  }

  // one listener for the header, whether the server or the script drew it
  document.querySelector("#trials thead").addEventListener("click", function (ev) {
    var th = ev.target.closest("th[data-sort]");
    if (!th) { return; }
    var key = th.getAttribute("data-sort");
    table.desc = table.sort === key ? !table.desc : key === "number";
    table.sort = key; table.page = 0; loadTable();
  });
  document.getElementById("prev").addEventListener("click", function () { table.page--; loadTable(); });
  document.getElementById("next").addEventListener("click", function () { table.page++; loadTable(); });
  document.getElementById("state-filter").addEventListener("change", function (ev) {
    table.state = ev.target.value; table.page = 0; loadTable();
  });

  // ------------------------------------------------------------------ live updates
  function poll() {
    TL.getJSON(api + "/updates?cursor=" + encodeURIComponent(cursor)).then(function (u) {
      cursor = u.cursor;
      setSummary(u);
      if (u.trials.length) {
        changedSinceSlow = true;
        if (addToHistory(u.trials)) { drawHistory(); }
        loadTable();
      }
      refreshSlow();
    }).catch(function (e) {
      document.getElementById("live").textContent = "refresh failed: " + e.message;
    }).then(function () { setTimeout(poll, refreshMs); });
  }

  function start() {
    var init = TL.getJSON(api + "/init").then(function (u) {
      cursor = u.cursor;
      setSummary(u);
      if (u.history) {
        sign = u.history.sign; metric = u.history.metric;
        u.history.points.forEach(function (p) { hist.x.push(p[0]); hist.y.push(p[1]); seen[p[0]] = true; });
        historyReady = true;
      }
      setTimeout(poll, refreshMs);
    });
    var figures = Array.prototype.map.call(document.querySelectorAll("section.figure-region[id^='fig-']"),
                                           function (r) { return drawFigure(r, false); });
    return Promise.all([init, plotly()].concat(figures)).then(function () {
      interactive = true;
      drawHistory();
      performance.mark("tunelab:interactive");
      body.setAttribute("data-interactive", "1");
    });
  }

  firstFullRender().then(start).catch(function (e) {
    document.getElementById("live").textContent = "could not load: " + e.message;
  });
})();
