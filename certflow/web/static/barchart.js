// Stacked bar charts drawn with ECharts from the figures a page carries in a JSON script tag (the table beside each
// chart holds the same figures): a bar per category, a part per series. No inline script, for the CSP.
(function () {
  'use strict';
  document.querySelectorAll('[data-bar-chart]').forEach(function (box) {
    var figures = JSON.parse(document.getElementById(box.dataset.barChart).textContent);
    box.style.height = (90 + 34 * Math.max(figures.categories.length, 1)) + 'px';
    var chart = echarts.init(box, null, {renderer: 'canvas', locale: 'ZH'});
    chart.setOption({
      animation: false,
      color: figures.series.map(function (s) { return s.color; }),
      tooltip: {
        trigger: 'axis', axisPointer: {type: 'shadow'},
        valueFormatter: function (value) { return value + ' ' + figures.unit; }
      },
      legend: {top: 0},
      grid: {left: 8, right: 24, top: 64, bottom: 8, containLabel: true},  // room for a legend of two lines
      xAxis: {type: 'value', minInterval: 1},
      yAxis: {type: 'category', inverse: true, data: figures.categories},
      series: figures.series.map(function (s) {
        return {name: s.name, type: 'bar', stack: 'holders', data: s.data, emphasis: {focus: 'series'}};
      })
    });
    // The box takes its width from the page's layout, which may settle after the first drawing.
    new ResizeObserver(function () { chart.resize(); }).observe(box);
  });
})();
