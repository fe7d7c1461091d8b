// Draws the dashboard's charts with Apache ECharts (served from our static files, installed by
// npm). The data comes from the <script type="application/json"> blocks that Django's
// json_script writes next to each chart; its labels are already in the page's language, and
// ECharts' own texts follow the page's language too.
(function () {
  "use strict";

  function locale() {
    return (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0 ? "ZH" : "EN";
  }

  // ECharts' own tooltip markers are <span style="…"> written with innerHTML, which the
  // Content-Security-Policy refuses (no inline styles): the tooltip is built here with classes
  // instead (colours in insight.css, in the order of ECharts' default palette).
  function escape(text) {
    var element = document.createElement("span");
    element.textContent = text == null ? "" : String(text);
    return element.innerHTML;
  }

  function number(value) {
    return value == null ? "–" : Number(value).toLocaleString(document.documentElement.lang || undefined);
  }

  function tooltip(params) {
    var items = [].concat(params);
    var title = items[0].axisValueLabel || "";
    var html = title ? '<div class="chart-tip-title">' + escape(title) + "</div>" : "";
    items.forEach(function (item) {
      var colour = (item.seriesType === "pie" ? item.dataIndex : item.seriesIndex) % 9;
      var name = item.seriesType === "pie" ? item.name : item.seriesName;
      var share = item.seriesType === "pie" ? " (" + item.percent + "%)" : "";
      html += '<div><span class="chart-dot chart-dot-' + colour + '"></span>' + escape(name) +
        ": <strong>" + escape(number(item.value)) + "</strong>" + escape(share) + "</div>";
    });
    return html;
  }

  function option(data) {
    if (data.type === "pie") {
      var serie = data.series[0];
      return {
        animation: false,
        tooltip: { trigger: "item", formatter: tooltip },
        legend: { bottom: 0, type: "scroll" },
        series: [{
          name: serie.name,
          type: "pie",
          radius: ["35%", "65%"],
          data: data.categories.map(function (name, i) { return { name: name, value: serie.data[i] }; })
        }]
      };
    }
    return {
      animation: false,
      tooltip: { trigger: "axis", formatter: tooltip },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.categories },
      yAxis: { type: "value" },
      series: data.series.map(function (serie) {
        return { name: serie.name, type: data.type, data: serie.data, smooth: false };
      })
    };
  }

  function draw() {
    if (typeof echarts === "undefined") { return; }
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var source = document.getElementById(element.getAttribute("data-chart"));
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      var chart = echarts.init(element, null, { locale: locale(), renderer: "canvas" });
      chart.setOption(option(data));
      element.setAttribute("data-drawn", "true");
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }

  // The custom range's dates only matter for "custom".
  function period() {
    var select = document.querySelector(".insight-filters select[name=period]");
    if (!select) { return; }
    function toggle() {
      var custom = select.value === "custom";
      document.querySelectorAll(".insight-filters [data-field=start], .insight-filters [data-field=end]")
        .forEach(function (field) { field.hidden = !custom; });
      document.querySelectorAll(".insight-filters [data-field=date]")
        .forEach(function (field) { field.hidden = custom; });
    }
    select.addEventListener("change", toggle);
    toggle();
  }

  document.addEventListener("DOMContentLoaded", function () { period(); draw(); });
})();
