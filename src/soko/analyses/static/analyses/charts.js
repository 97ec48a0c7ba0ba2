/* Charts of the СОКО analyses pages (Chart.js). Colours are the same on every page:
   marks «2» red, «3» amber, «4» light green, «5» green; units blue (own), grey-blue
   (municipality), grey (region). */
(function () {
  "use strict";
  var MARK_COLORS = { 2: "#b3261e", 3: "#e0a030", 4: "#7cb342", 5: "#2e7d32" };
  var UNIT_COLORS = ["#1f5f8b", "#8aa9c1", "#9e9e9e", "#c5cdd6"];
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function pct(v) { return v === null || v === undefined ? null : Math.round(v * 1000) / 10; }
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  window.SokoCharts = { MARK_COLORS: MARK_COLORS, UNIT_COLORS: UNIT_COLORS, data: data, pct: pct };
  ready(function () {
    if (typeof Chart === "undefined") { return; }
    Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
    var units = (data("units-data") || []).filter(function (u) { return !u.suppressed; });
    var marks = document.getElementById("marks-chart");
    if (marks && units.length) {
      new Chart(marks, {
        type: "bar",
        data: {
          labels: units.map(function (u) { return u.name; }),
          datasets: [2, 3, 4, 5].map(function (m) {
            return { label: "«" + m + "»", backgroundColor: MARK_COLORS[m],
                     data: units.map(function (u) { return pct(u["share_" + m]); }) };
          })
        },
        options: { indexAxis: "y", responsive: true,
          scales: { x: { stacked: true, max: 100, title: { display: true, text: "% участников" } },
                    y: { stacked: true } },
          plugins: { tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + c.parsed.x + " %"; } } } } }
      });
    }
    var hist = data("hist-data");
    var histEl = document.getElementById("hist-chart");
    if (hist && histEl && hist.series.length) {
      var own = hist.series[0];
      var region = hist.series.length > 1 ? hist.series[hist.series.length - 1] : null;
      var datasets = [{
        type: "bar", label: own.name, data: own.percents,
        backgroundColor: hist.marks.map(function (m) { return m ? MARK_COLORS[m] : UNIT_COLORS[0]; })
      }];
      if (region) {
        datasets.push({ type: "line", label: region.name, data: region.percents,
                        borderColor: "#444", backgroundColor: "#444", pointRadius: 0, tension: 0.2 });
      }
      new Chart(histEl, {
        data: { labels: hist.scores, datasets: datasets },
        options: { responsive: true,
          scales: { x: { title: { display: true, text: "первичный балл" } },
                    y: { title: { display: true, text: "% участников" }, beginAtZero: true } },
          plugins: { tooltip: { callbacks: { title: function (items) {
            var i = items[0].dataIndex; var m = hist.marks[i];
            return "балл " + hist.scores[i] + (m ? " — отметка «" + m + "»" : ""); } } } } }
      });
    }
    var tasks = data("tasks-data");
    var tasksEl = document.getElementById("tasks-chart");
    if (tasks && tasksEl && tasks.length) {
      new Chart(tasksEl, {
        type: "bar",
        data: {
          labels: tasks.map(function (t) { return t.number + (t.level ? " (" + t.level + ")" : ""); }),
          datasets: units.slice(0, tasks[0].completion_pct.length).map(function (u, i) {
            return { label: u.name, backgroundColor: UNIT_COLORS[i % UNIT_COLORS.length],
                     data: tasks.map(function (t) { return t.completion_pct[i]; }) };
          })
        },
        options: { responsive: true,
          scales: { y: { max: 100, beginAtZero: true, title: { display: true, text: "% выполнения" } },
                    x: { title: { display: true, text: "задание (уровень)" } } } }
      });
    }
    var dyn = data("dyn-data");
    var dynEl = document.getElementById("dyn-chart");
    if (dyn && dynEl && dyn.available) {
      new Chart(dynEl, {
        type: "line",
        data: { labels: dyn.points.map(function (p) { return p.year; }),
                datasets: [{ label: "доля «2», %", data: dyn.points.map(function (p) { return p.share_2_pct; }),
                             borderColor: MARK_COLORS[2], backgroundColor: MARK_COLORS[2] }] },
        options: { responsive: true, scales: { y: { beginAtZero: true, title: { display: true, text: "%" } } } }
      });
    }
    var scatter = data("cluster-data");
    var scatterEl = document.getElementById("cluster-chart");
    if (scatter && scatterEl) {
      var palette = ["#1f5f8b", "#e0a030", "#2e7d32", "#b3261e", "#6a4c93", "#00838f"];
      new Chart(scatterEl, {
        type: "scatter",
        data: { datasets: scatter.clusters.map(function (c, i) {
          return { label: c.label + " (" + c.size + " ОО)", backgroundColor: palette[i % palette.length],
                   data: scatter.points.filter(function (p) { return p.cluster === c.index; })
                                       .map(function (p) { return { x: p.x, y: p.y, name: p.name }; }) };
        }) },
        options: { responsive: true,
          scales: { x: { title: { display: true, text: "позиция в ВПР, SD" } },
                    y: { title: { display: true, text: "позиция в ГИА (ОГЭ/ЕГЭ), SD" } } },
          plugins: { tooltip: { callbacks: { label: function (c) {
            return c.raw.name + ": ВПР " + c.raw.x.toFixed(2) + ", ГИА " + c.raw.y.toFixed(2); } } } } }
      });
    }
  });
})();
