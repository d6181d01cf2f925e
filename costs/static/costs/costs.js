/* Nengtan cost page: band split, load curve coloured by time-of-use band, maximum demand per month (ECharts). */
(function () {
  "use strict";
  var COLORS = { critical_peak: "#b3261e", peak: "#e8710a", flat: "#1a73e8", valley: "#188038", deep_valley: "#0b5d3b" };
  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("cost-chart-data");
    if (!node || typeof echarts === "undefined") { return; }
    var data = JSON.parse(node.textContent);
    var split = document.getElementById("band-split");
    if (split) {
      echarts.init(split).setOption({
        title: { text: split.dataset.title, textStyle: { fontSize: 13 } }, animation: false, tooltip: {},
        series: [{ type: "pie", radius: "60%", data: data.split.map(function (d) {
          return { name: d.name, value: d.value, itemStyle: { color: COLORS[d.band] } }; }) }]
      });
    }
    var load = document.getElementById("band-load");
    if (load) {
      var l = data.load;
      var seen = {};
      l.bands.forEach(function (b) { if (b) { seen[b] = true; } });
      echarts.init(load).setOption({
        title: { text: load.dataset.title, textStyle: { fontSize: 13 } }, animation: false, tooltip: { trigger: "axis" },
        legend: { top: 20, data: Object.keys(seen).map(function (b) { return l.band_labels[b]; }) },
        grid: { top: 60, left: 10, right: 20, bottom: 10, containLabel: true },
        xAxis: { type: "category", data: l.labels }, yAxis: { type: "value" },
        // One bar series per band (the bar is empty outside it), so the legend names the colours.
        series: Object.keys(seen).map(function (b) {
          return { name: l.band_labels[b], type: "bar", stack: "load", barCategoryGap: "0%", itemStyle: { color: COLORS[b] },
                   data: l.kw.map(function (v, i) { return l.bands[i] === b ? v : null; }) };
        })
      });
      load.dataset.points = String(l.kw.filter(function (v) { return v !== null; }).length);
    }
    var md = document.getElementById("max-demand");
    if (md) {
      echarts.init(md).setOption({
        title: { text: md.dataset.title, textStyle: { fontSize: 13 } }, animation: false, tooltip: { trigger: "axis" },
        grid: { top: 40, left: 10, right: 20, bottom: 10, containLabel: true },
        xAxis: { type: "category", data: data.demand.map(function (r) { return r.month; }) }, yAxis: { type: "value" },
        series: [{ type: "bar", barMaxWidth: 40, data: data.demand.map(function (r) { return r.max_demand_kw; }) }]
      });
    }
  });
})();
