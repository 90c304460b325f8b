// The twelve-month trend of the dashboard as a chart: matters registered (bars) and the three
// rates (lines), from the JSON the page carries. Without ECharts the table below stays the answer.
(function () {
  "use strict";

  function draw(container) {
    var source = document.getElementById(container.dataset.source);
    if (!source || typeof window.echarts === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var labels = data.labels || {};
    var rates = ["response_rate", "resolution_rate", "satisfaction_rate"];
    var percent = function (value) {
      return value === null || value === undefined ? null : Math.round(value * 1000) / 10;
    };
    var series = [
      {
        name: labels.registered || "registered",
        type: "bar",
        yAxisIndex: 1,
        itemStyle: { color: "#d9dde3" },
        data: data.series.registered,
      },
    ].concat(
      rates.map(function (key, index) {
        return {
          name: labels[key] || key,
          type: "line",
          yAxisIndex: 0,
          connectNulls: false,
          symbolSize: 6,
          lineStyle: { width: 2 },
          itemStyle: { color: ["#b3261e", "#1f6feb", "#2e7d32"][index] },
          data: data.series[key].map(percent),
        };
      })
    );
    var chart = window.echarts.init(container, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: "system-ui, 'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif" },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 56, top: 40, bottom: 32 },
      xAxis: { type: "category", data: data.months },
      yAxis: [
        { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
        { type: "value", minInterval: 1, splitLine: { show: false } },
      ],
      series: series,
    });
    container.dataset.drawn = "1";
    window.addEventListener("resize", function () {
      chart.resize();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".chart[data-source]").forEach(draw);
  });
})();
