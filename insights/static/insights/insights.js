/* Energy-carbon centre: Sankey of the energy flow and the baseline chart, drawn with the vendored ECharts. */
(function () {
  "use strict";
  var COLORS = { input: "#0b6e4f", meter: "#3b6ea5", end_use: "#8a6d3b", loss: "#b3261e", surplus: "#9a6700" };
  function fmt(v) { return Number(v).toLocaleString(document.documentElement.lang, { maximumFractionDigits: 3 }); }
  // ECharts inserts a tooltip formatter's string as HTML: every name from the data is escaped first. (Labels drawn on
  // the canvas are text and need no escaping.)
  var ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  function esc(v) { return String(v === null || v === undefined ? "" : v).replace(/[&<>"']/g, function (c) { return ENTITIES[c]; }); }
  function sankey(el) {
    fetch(el.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) { throw new Error(j.detail || r.status); } return j; }); })
      .then(function (d) {
        if (!d.links.length) { el.textContent = el.dataset.lEmpty; el.dataset.links = "0"; return; }
        var labels = {}, shorts = {};
        d.nodes.forEach(function (n) { labels[n.id] = n.label; shorts[n.id] = n.short || n.label; });
        var chart = echarts.init(el);
        chart.setOption({
          animation: false,
          tooltip: { trigger: "item", formatter: function (p) {
            if (p.dataType === "edge") {
              return esc(labels[p.data.source]) + " → " + esc(labels[p.data.target]) + ": " + esc(fmt(p.data.value)) + " " + esc(d.unit);
            }
            return esc(labels[p.name]) + ": " + esc(fmt(p.value)) + " " + esc(d.unit); } },
          series: [{
            type: "sankey", left: 10, right: 290, top: 20, bottom: 20, nodeGap: 10, draggable: false,
            emphasis: { focus: "adjacency" }, lineStyle: { color: "gradient", opacity: 0.4 },
            label: { fontSize: 11, formatter: function (p) { return shorts[p.name] + "  " + fmt(p.value); } },
            data: d.nodes.map(function (n) { return { name: n.id, itemStyle: { color: COLORS[n.kind] || "#777" } }; }),
            links: d.links.map(function (l) { return { source: l.source, target: l.target, value: l.value }; })
          }]
        });
        el.dataset.links = String(d.links.length);
        el.dataset.inputs = String(d.inputs_total);
      })
      .catch(function (e) { el.textContent = String(e.message || e); el.dataset.links = "error"; });
  }
  function baselineChart(el) {
    var d = JSON.parse(document.getElementById("baseline-chart-data").textContent);
    var chart = echarts.init(el);
    chart.setOption({
      animation: false, tooltip: { trigger: "axis" }, legend: { top: 5 },
      grid: { top: 40, left: 80, right: 20, bottom: 30 },
      xAxis: { type: "category", data: d.labels }, yAxis: { type: "value", scale: true },
      series: [
        { name: el.dataset.lActual, type: "bar", data: d.actual, itemStyle: { color: "#3b6ea5" },
          markLine: d.split < d.labels.length ? { symbol: "none", label: { formatter: el.dataset.lSplit },
            data: [{ xAxis: d.labels[d.split] }] } : undefined },
        { name: el.dataset.lModel, type: "line", data: d.model, itemStyle: { color: "#0b6e4f" }, connectNulls: false }
      ]
    });
    el.dataset.points = String(d.labels.length);
  }
  function trendChart(el) {
    var d = JSON.parse(document.getElementById(el.dataset.trend).textContent);
    var refs = d.refs.map(function (r) { return r.value; });
    var chart = echarts.init(el);
    chart.setOption({
      animation: false, tooltip: { trigger: "axis" },
      title: { text: el.dataset.title, textStyle: { fontSize: 12 } },
      grid: { top: 35, left: 70, right: 240, bottom: 30 },
      xAxis: { type: "category", data: d.labels },
      // With references, the axis spans the history and every reference, so each reference line is visible.
      yAxis: refs.length ? { type: "value", scale: true,
        min: function (v) { return Math.min(v.min, Math.min.apply(null, refs)); },
        max: function (v) { return Math.max(v.max, Math.max.apply(null, refs)); } } : { type: "value", scale: true },
      series: [{ type: "line", data: d.values, connectNulls: false, itemStyle: { color: "#3b6ea5" },
        markLine: d.refs.length ? { symbol: "none", lineStyle: { type: "dashed", color: "#b3261e" },
          label: { position: "end", formatter: "{b} {c}" },
          data: d.refs.map(function (r) { return { name: r.name, yAxis: r.value }; }) } : undefined }]
    });
    el.dataset.points = String(d.values.filter(function (v) { return v !== null; }).length);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-trend]").forEach(trendChart);
    var fc = document.getElementById("flow-chart");
    if (fc) { sankey(fc); }
    var bc = document.getElementById("baseline-chart");
    if (bc) { baselineChart(bc); }
  });
})();
