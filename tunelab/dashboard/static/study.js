// The study page: a decimated history first, then only new or changed trials (by cursor) every few
// seconds; the trial table is paged and sorted on the server.
"use strict";
(function () {
  var body = document.body;
  var studyId = body.getAttribute("data-study-id");
  var refreshMs = +body.getAttribute("data-refresh-ms") || 2000;
  var api = "/api/study/" + studyId;
  var cursor = "", sign = 1, metric = "value";
  var hist = {x: [], y: []}, seen = {};
  var table = {page: 0, size: 50, sort: "number", desc: true, state: ""};
  var timer = null;

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
    var live = document.getElementById("live");
    live.textContent = running ? "running (" + running + (running === 1 ? " trial" : " trials") + " in progress), refreshing every " + refreshMs / 1000 + " s"
                               : "idle, refreshing every " + refreshMs / 1000 + " s";
  }

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
    var b = bestLine();
    var traces = [
      {x: hist.x, y: hist.y, mode: "markers", type: "scatter", name: metric, marker: {size: 5, opacity: 0.6}},
      {x: b.x, y: b.y, mode: "lines", type: "scatter", name: "best " + metric, line: {shape: "hv", color: "#ef553b"}}
    ];
    var layout = {margin: {t: 10, r: 10, b: 40, l: 60}, height: 320, xaxis: {title: {text: "trial"}},
                  yaxis: {title: {text: metric}}, legend: {orientation: "h"}};
    Plotly.react("history", traces, layout, TL.plotConfig);
  }

  function addToHistory(rows) {
    var added = false;
    rows.forEach(function (r) {
      // r = [number, state, values, duration, last step]
      if (r[1] === "complete" && r[2] && !seen[r[0]]) {
        seen[r[0]] = true;
        // keep numbers ordered: new trials normally come last
        var i = hist.x.length;
        while (i > 0 && hist.x[i - 1] > r[0]) { i--; }
        hist.x.splice(i, 0, r[0]); hist.y.splice(i, 0, r[2][0]);
        added = true;
      }
    });
    return added;
  }

  function loadTable() {
    var q = "?page=" + table.page + "&size=" + table.size + "&sort=" + encodeURIComponent(table.sort) +
            "&desc=" + (table.desc ? 1 : 0) + (table.state ? "&state=" + encodeURIComponent(table.state) : "");
    return TL.getJSON(api + "/trials" + q).then(renderTable);
  }

  function header(label, key) {
    var th = TL.el("th", label);
    th.setAttribute("data-sort", key);
    th.title = "sort by " + label;
    if (table.sort === key) { th.className = table.desc ? "sorted-desc" : "sorted-asc"; }
    th.addEventListener("click", function () {
      table.desc = table.sort === key ? !table.desc : key === "number";
      table.sort = key; table.page = 0; loadTable();
    });
    return th;
  }

  function renderTable(t) {
    var el = document.getElementById("trials");
    var thead = el.querySelector("thead"), tbody = el.querySelector("tbody");
    thead.textContent = ""; tbody.textContent = "";
    var tr = document.createElement("tr");
    tr.appendChild(header("#", "number"));
    tr.appendChild(header("state", "state"));
    t.columns.metrics.forEach(function (m, i) { tr.appendChild(i === 0 ? header(m, "value") : TL.el("th", m)); });
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
    document.getElementById("page-info").textContent = "page " + (t.page + 1) + " of " + t.pages +
      " (" + t.total.toLocaleString("en") + " trials)";
    document.getElementById("prev").disabled = t.page <= 0;
    document.getElementById("next").disabled = t.page >= t.pages - 1;
  }

  function poll() {
    TL.getJSON(api + "/updates?cursor=" + encodeURIComponent(cursor)).then(function (u) {
      cursor = u.cursor;
      setSummary(u);
      if (u.trials.length) {
        if (addToHistory(u.trials)) { drawHistory(); }
        loadTable();
      }
    }).catch(function (e) {
      document.getElementById("live").textContent = "refresh failed: " + e.message;
    }).then(function () { timer = setTimeout(poll, refreshMs); });
  }

  document.getElementById("prev").addEventListener("click", function () { table.page--; loadTable(); });
  document.getElementById("next").addEventListener("click", function () { table.page++; loadTable(); });
  document.getElementById("state-filter").addEventListener("change", function (ev) {
    table.state = ev.target.value; table.page = 0; loadTable();
  });

  document.querySelectorAll("details.figure").forEach(function (d) {
    d.addEventListener("toggle", function () {
      if (!d.open || d.getAttribute("data-loaded")) { return; }
      d.setAttribute("data-loaded", "1");
      var note = d.querySelector(".note"), div = d.querySelector(".plot");
      note.textContent = "drawing…";
      TL.getJSON(api + "/figure/" + encodeURIComponent(d.getAttribute("data-figure"))).then(function (f) {
        if (!f.figure) { note.textContent = "not drawn: " + f.note; return; }
        note.textContent = "";
        var layout = Object.assign({}, f.figure.layout, {autosize: true});
        layout.height = layout.height || 420;  // the closed <details> gave the box no height to fill
        Plotly.newPlot(div, f.figure.data, layout, TL.plotConfig);
      }).catch(function (e) { note.textContent = "not drawn: " + e.message; });
    });
  });

  TL.getJSON(api + "/init").then(function (u) {
    cursor = u.cursor;
    setSummary(u);
    if (u.history) {
      sign = u.history.sign; metric = u.history.metric;
      u.history.points.forEach(function (p) { hist.x.push(p[0]); hist.y.push(p[1]); seen[p[0]] = true; });
      if (u.history.decimated) {
        document.getElementById("history-note").textContent = "showing " + u.history.points.length.toLocaleString("en") +
          " of " + u.history.n_complete.toLocaleString("en") + " complete trials (every improvement of the best is kept)";
      }
      drawHistory();
    } else {
      document.getElementById("history-note").textContent = "several objectives: open the Pareto front below";
    }
    return loadTable();
  }).then(function () {
    document.body.setAttribute("data-ready", "1");
    timer = setTimeout(poll, refreshMs);
  }).catch(function (e) {
    document.getElementById("live").textContent = "could not load: " + e.message;
  });
})();
