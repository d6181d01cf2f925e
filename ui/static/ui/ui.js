/* Nengtan UI: charts (ECharts) fed by the project's REST API; gaps (null) are drawn as gaps. */
(function () {
  "use strict";
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) { throw new Error(url + " " + r.status); }
      return r.json();
    });
  }
  // Numbers as Django formats them for the page's language: both group thousands with "," (energy_platform/formats);
  // at most 3 decimals.
  var EN = document.documentElement.lang === "en";
  function fmt(v) { return Number(v).toLocaleString(EN ? "en" : "zh-CN", { maximumFractionDigits: 3, useGrouping: true }); }
  // A message under the chart (a future day, no readings): said in words, never an empty chart alone.
  function note(el, text) {
    var id = el.id ? el.id + "-message" : "", p = id ? document.getElementById(id) : el.nextElementSibling;
    if (!p || !p.classList.contains("chart-message")) {
      p = document.createElement("p"); p.className = "chart-message hint"; if (id) { p.id = id; }
      el.parentNode.insertBefore(p, el.nextSibling);
    }
    p.textContent = text || ""; p.hidden = !text;
  }
  // Unit keys of the API as people read them (energy_platform/figures.py unit_text does the same on the server).
  var UNITS_ZH = { "kWh/site": "kWh/站", "10^4 CNY": "万元", "tce/10^4 CNY": "tce/万元", "tCO2/10^4 CNY": "tCO₂/万元" };
  function unitText(u) {
    if (!u || u === "ratio") { return ""; }
    return ((!EN && UNITS_ZH[u]) || u).replace("10^4", "10⁴").replace("CO2", "CO₂").replace(/\bm3\b/, "m³");
  }
  function draw(el, data, kind) {
    var chart = echarts.getInstanceByDom(el) || echarts.init(el);
    note(el, data.message);
    // Bars stack only within one unit: a series may name its unit (`stack`), so t, m³ and kWh are never added up.
    var axes = data.axes || [{ name: data.unit || "" }];
    var caption = [el.dataset.title, data.title].filter(Boolean).join(" · ");
    el.dataset.caption = caption;  // the title drawn on the canvas, readable by tests and assistive tools
    el.setAttribute("aria-label", caption);
    chart.setOption({
      title: { text: caption, textStyle: { fontSize: 13 } },
      animation: false, tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : fmt(v); } }, legend: { top: 20, type: "scroll" }, grid: { top: 60, left: 10, right: 20, bottom: 10, containLabel: true },
      xAxis: { type: "category", data: data.labels },
      yAxis: axes.map(function (a) { return { type: "value", name: a.name, axisLabel: { formatter: fmt } }; }),
      series: data.series.map(function (s) {
        if (s.estimated) {  // days holding estimated readings: marked, never drawn as measured
          return { name: s.name, type: "scatter", data: s.data, symbol: "diamond", symbolSize: 10,
                   itemStyle: { color: "#d08700" } };
        }
        if (kind === "bars") { return { name: s.name, type: "bar", data: s.data, yAxisIndex: s.axis || 0 }; }
        return kind === "stack" ? { name: s.name, type: "bar", stack: s.stack || "total", data: s.data,
                                    yAxisIndex: s.axis || 0 }
                                : { name: s.name, type: "line", data: s.data, connectNulls: false,
                                    showSymbol: s.data.length <= 62 };
      })
    }, true);
    el.dataset.points = String(data.series.filter(function (s) { return !s.estimated; }).reduce(function (n, s) {
      return n + s.data.filter(function (v) { return v !== null; }).length; }, 0));
  }
  // CSV / XLSX links of what a chart or a page shows (?export=, energy_platform.tables).
  function withExport(url, fmt) {
    var u = new URL(url, window.location.href); u.searchParams.set("export", fmt); return u.pathname + u.search;
  }
  function exportLinks(p, label, url) {
    p.replaceChildren(document.createTextNode(label + " "));
    ["csv", "xlsx"].forEach(function (fmt, i) {
      if (i) { p.appendChild(document.createTextNode(" · ")); }
      var a = document.createElement("a"); a.href = withExport(url, fmt); a.textContent = fmt.toUpperCase();
      a.setAttribute("download", ""); a.dataset.export = fmt; p.appendChild(a);
    });
  }
  function chartExports(el, url) {
    var main = document.querySelector("main");
    if (!main || !main.dataset.lChartExport) { return; }
    var p = el.previousElementSibling && el.previousElementSibling.classList.contains("chart-exports")
      ? el.previousElementSibling : null;
    if (!p) {
      if (el.parentNode.classList.contains("chartrow")) {  // a grid cell: the links stay with their chart
        var cell = document.createElement("div"); cell.className = "chart-cell";
        el.parentNode.insertBefore(cell, el); cell.appendChild(el);
      }
      p = document.createElement("p"); p.className = "chart-exports exports hint"; el.parentNode.insertBefore(p, el);
    }
    exportLinks(p, main.dataset.lChartExport, url);
  }
  function load(el, url) {
    chartExports(el, url);
    return getJSON(url).then(function (d) { draw(el, d, el.dataset.chart); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-chart][data-url]").forEach(function (el) {
      if (el.id !== "load-chart") { load(el, el.dataset.url); }
    });
    // Charts drawn by other scripts (costs, insights) name their data: `data-export-url` (a chart endpoint) or
    // `data-export-json` (the id of the page's json_script, exported by the page itself with ?chart=).
    document.querySelectorAll("[data-export-url]").forEach(function (el) { chartExports(el, el.dataset.exportUrl); });
    document.querySelectorAll("[data-export-json]").forEach(function (el) {
      var u = new URL(window.location.href); u.searchParams.set("chart", el.dataset.exportJson);
      chartExports(el, u.pathname + u.search);
    });
    document.querySelectorAll("[data-chart][data-chart-json]").forEach(function (el) {
      var src = document.getElementById(el.dataset.chartJson);
      if (src) { draw(el, JSON.parse(src.textContent), el.dataset.chart); }
    });
    // Every page that shows a table offers its tables as CSV and XLSX (unless it has its own links).
    var main = document.querySelector("main");
    if (main && main.dataset.lExport && main.querySelector("table") && !main.querySelector(".exports:not(.chart-exports)")) {
      var bar = document.createElement("p"); bar.className = "exports page-exports hint"; bar.id = "page-exports";
      exportLinks(bar, main.dataset.lExport, window.location.pathname + window.location.search);
      var h1 = main.querySelector("h1");
      if (h1) { h1.insertAdjacentElement("afterend", bar); } else { main.prepend(bar); }
    }
    var lc = document.getElementById("load-chart");
    if (lc) {
      var day = document.getElementById("load-day"), days = document.getElementById("load-days");
      var refresh = function () { load(lc, lc.dataset.url + "?day=" + day.value + "&days=" + days.value); };
      day.addEventListener("change", refresh); days.addEventListener("change", refresh); refresh();
    }
    // Data quality: "Enter an estimate" on a gap fills the estimate form with its meter and day.
    document.querySelectorAll("[data-estimate-meter]").forEach(function (b) {
      b.addEventListener("click", function () {
        var f = document.getElementById("estimate-form");
        f.meter.value = b.dataset.estimateMeter; f.ts.value = b.dataset.estimateTs; f.value.focus();
      });
    });
    // Data entry: the site/product list offers only what fits the kind (sites for value added, products for
    // output); the server refuses a mismatch anyway.
    var mf = document.getElementById("monthly-form");
    if (mf && mf.kind && mf.target) {
      var fit = function () {
        var prefix = mf.kind.value === "economic" ? "site-" : "product-";
        Array.prototype.forEach.call(mf.target.querySelectorAll("optgroup"), function (g) {
          var ok = g.querySelector("option") && g.querySelector("option").value.indexOf(prefix) === 0;
          g.disabled = !ok; g.hidden = !ok;
        });
        var sel = mf.target.options[mf.target.selectedIndex];
        if (!sel || sel.value.indexOf(prefix) !== 0) {
          var first = mf.target.querySelector('option[value^="' + prefix + '"]');
          mf.target.value = first ? first.value : "";
        }
      };
      mf.kind.addEventListener("change", fit); fit();
    }
    // Data quality: "Fill this day" puts the gap's meter and local day (00:00 to the next 00:00) into the range form.
    document.querySelectorAll("[data-fill-meter]").forEach(function (b) {
      b.addEventListener("click", function () {
        var f = document.getElementById("gap-fill-form"), d = new Date(b.dataset.fillDay + "T00:00:00Z");
        d.setUTCDate(d.getUTCDate() + 1);
        f.meter.value = b.dataset.fillMeter; f.start.value = b.dataset.fillDay + "T00:00";
        f.end.value = d.toISOString().slice(0, 10) + "T00:00"; f.reason.focus();
        f.scrollIntoView({ block: "center" });
      });
    });
    var mc = document.getElementById("meter-chart");
    document.querySelectorAll("[data-meter-chart]").forEach(function (b) {
      b.addEventListener("click", function () { mc.dataset.title = b.dataset.title; load(mc, b.dataset.meterChart); });
    });
    var sk = document.getElementById("site-kpis");
    if (sk && sk.dataset.url) {
      var now = new Date(), period = String(now.getFullYear());
      getJSON(sk.dataset.url + "?period=" + period).then(function (k) {
        var rows = [[sk.dataset.lEnergy, k.energy_tce], [sk.dataset.lScope1, k.scope1_tco2],
                    [sk.dataset.lScope2, k.scope2_tco2], [sk.dataset.lTotal, k.total_tco2]];
        if (k.pue) { rows.push([sk.dataset.lPue, k.pue]); }
        if (k.energy_per_base_station_kwh) { rows.push([sk.dataset.lStation, k.energy_per_base_station_kwh]); }
        (k.per_product || []).forEach(function (p) {
          rows.push([sk.dataset.lProduct + " " + (p.name || p.product || ""), p.energy_per_unit || p.sec || {}]);
        });
        var t = document.createElement("table");
        rows.forEach(function (r) {
          var tr = t.insertRow(), v = r[1] || {};
          tr.insertCell().textContent = r[0];
          var cell = tr.insertCell(); cell.className = "n";
          cell.textContent = (v.value === null || v.value === undefined ? "—" : fmt(v.value)) + " " + unitText(v.unit);
        });
        sk.appendChild(t);
      }).catch(function () { sk.textContent = "—"; });
    }
    var rp = document.getElementById("reports");
    if (rp) {
      var ent = Number(rp.dataset.enterprise), kinds = {};
      (rp.dataset.kinds || "").split("|").forEach(function (kv) { var i = kv.indexOf("="); if (i > 0) { kinds[kv.slice(0, i)] = kv.slice(i + 1); } });
      var statusLabel = function (s) { var k = "l" + s.charAt(0).toUpperCase() + s.slice(1); return rp.dataset[k] || s; };
      var list = function () {
        getJSON(rp.dataset.url).then(function (d) {
          var items = (d.results || d).filter(function (r) { return r.enterprise === ent; });
          rp.replaceChildren();
          if (!items.length) { rp.textContent = rp.dataset.lEmpty; return; }
          var t = document.createElement("table"), busy = false;
          items.forEach(function (r) {
            var tr = t.insertRow();
            tr.insertCell().textContent = (kinds[r.kind] || r.kind) + " " + r.year + " v" + r.version + " (" + r.format + ")";
            var st = tr.insertCell(), bar = document.createElement("progress");
            bar.max = 100; bar.value = r.progress || 0; st.appendChild(bar);
            st.appendChild(document.createTextNode(" " + statusLabel(r.status) + (r.error ? ": " + r.error : "")));
            var dl = tr.insertCell();
            if (r.status === "done" && r.files.length) {
              var a = document.createElement("a"); a.href = rp.dataset.url + r.id + "/download/";
              a.textContent = rp.dataset.lDownload; dl.appendChild(a);
            }
            if (r.status === "queued" || r.status === "running") { busy = true; }
          });
          rp.appendChild(t);
          if (busy) { setTimeout(list, 2000); }
        }).catch(function () { rp.textContent = "—"; });
      };
      list();
      var rf = document.getElementById("report-start");
      if (rf) {
        rf.addEventListener("submit", function (ev) {
          ev.preventDefault();
          var body = { kind: rf.kind.value, year: Number(rf.year.value), format: rf.format.value,
                       enterprise: Number(rf.dataset.enterprise), lang: rf.dataset.lang };
          fetch(rf.dataset.url, { method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": rf.csrfmiddlewaretoken.value },
            body: JSON.stringify(body) }).then(function (r) {
            return r.json().then(function (j) {
              document.getElementById("report-error").textContent = r.ok ? "" : (j.detail || r.status);
              list();
            });
          });
        });
      }
    }
  });
})();

/* Behaviour that would otherwise need inline handlers, which the content security policy forbids:
   <select data-autosubmit> submits its form on change; <form data-nosubmit> is never submitted. */
document.addEventListener("change", function (e) {
  if (e.target.matches && e.target.matches("[data-autosubmit]") && e.target.form) { e.target.form.submit(); }
});
document.addEventListener("submit", function (e) {
  if (e.target.matches && e.target.matches("form[data-nosubmit]")) { e.preventDefault(); }
});
