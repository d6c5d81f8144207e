// Draws the dashboard's charts from the JSON islands the page carries.
// Chart.js is served by the console from the npm package (no CDN).
(function () {
  'use strict';
  if (typeof Chart === 'undefined') return;
  const data = JSON.parse(document.getElementById('chart-data').textContent);
  const words = JSON.parse(document.getElementById('chart-words').textContent);
  const COLOURS = {green: '#2e9d5b', yellow: '#e0a800', red: '#d93025'};
  const PALETTE = ['#1f4e8c', '#5b8def', '#8e44ad', '#16a085', '#d35400', '#7f8c8d',
                   '#c0392b', '#2c3e50', '#27ae60', '#f39c12'];
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = '"Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif';

  new Chart(document.getElementById('chart-coverage'), {
    type: 'bar',
    data: {
      labels: data.coverage.labels,
      datasets: [
        {label: words.week, data: data.coverage.week, backgroundColor: '#5b8def'},
        {label: words.month, data: data.coverage.month, backgroundColor: '#1f4e8c'},
      ],
    },
    options: {scales: {y: {min: 0, max: 100, ticks: {callback: (v) => v + '%'}}}},
  });

  new Chart(document.getElementById('chart-trend'), {
    type: 'line',
    data: {
      labels: data.trend.labels,
      datasets: ['red', 'yellow', 'green'].map((c) => ({
        label: words[c], data: data.trend[c], borderColor: COLOURS[c],
        backgroundColor: COLOURS[c], tension: 0.25, pointRadius: 2,
      })),
    },
    options: {scales: {y: {beginAtZero: true, ticks: {precision: 0}}}},
  });

  new Chart(document.getElementById('chart-workers'), {
    type: 'bar',
    data: {
      labels: data.workers.labels,
      datasets: data.workers.series.map((s, i) => ({
        label: s.label, data: s.data, backgroundColor: PALETTE[i % PALETTE.length],
      })),
    },
    options: {scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true,
                                               ticks: {precision: 0}}}},
  });
})();
