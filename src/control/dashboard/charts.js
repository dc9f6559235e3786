// Dashboard charts (uPlot, served locally): requests by verdict, distinct
// sources, origin latency p50/p95 and mode, redrawn from /api/series.
// The verdict chart is rebuilt when the set of verdict rules changes.
(() => {
  const PALETTE = [
    '#1f4fb4',
    '#a4161a',
    '#d17a00',
    '#2a7f3f',
    '#6a3d9a',
    '#b15928',
    '#0f7c8c',
    '#c2185b',
    '#5d6d7e',
    '#8c6d1f',
  ];
  const FIXED = { 'default/allow': '#2a7f3f', 'cache/hit': '#0f7c8c', 'cache/stale': '#5d8aa8' };
  const MODE_NUM = { normal: 0, recovering: 1, elevated: 2, under_attack: 3 };
  const MODE_LABEL = ['normal', 'recovering', 'elevated', 'attack'];
  const charts = {};
  let verdictKeys = '';

  function colorFor(rule, i) {
    return FIXED[rule] || PALETTE[i % PALETTE.length];
  }

  function size(el) {
    return { width: Math.max(280, el.clientWidth - 4), height: 200 };
  }

  function build(id, series, data, yLabel, yRange) {
    const el = document.getElementById(id);
    if (charts[id]) charts[id].destroy();
    el.textContent = '';
    const opts = {
      ...size(el),
      cursor: { drag: { x: false, y: false } },
      legend: { live: false },
      scales: yRange ? { x: { time: true }, y: { range: yRange } } : { x: { time: true } },
      axes: [
        { stroke: '#4f5862', grid: { stroke: '#eceff3' } },
        {
          stroke: '#4f5862',
          grid: { stroke: '#eceff3' },
          label: yLabel,
          size: 60,
          ...(yRange ? { incrs: [1], values: (_u, ticks) => ticks.map((t) => MODE_LABEL[t] || '') } : {}),
        },
      ],
      series: [{}, ...series],
    };
    charts[id] = new uPlot(opts, data, el);
    el.setAttribute('data-points', String(data[0].length));
  }

  function set(id, data) {
    charts[id].setData(data);
    document.getElementById(id).setAttribute('data-points', String(data[0].length));
    document
      .getElementById(id)
      .setAttribute('data-last-total', String(data.length > 1 ? data[1][data[1].length - 1] : 0));
  }

  function update(s) {
    const x = s.seconds;
    const rules = Object.keys(s.byVerdict).sort();
    const vData = [x, ...rules.map((r) => s.byVerdict[r])];
    const key = rules.join('|');
    if (!charts['chart-verdicts'] || key !== verdictKeys) {
      verdictKeys = key;
      build(
        'chart-verdicts',
        rules.map((r, i) => ({ label: r, stroke: colorFor(r, i), width: 2 })),
        vData,
        'req/s',
      );
    } else set('chart-verdicts', vData);
    document.getElementById('chart-verdicts').setAttribute('data-total', String(s.total.reduce((a, b) => a + b, 0)));
    const srcData = [x, s.sources];
    if (!charts['chart-sources'])
      build(
        'chart-sources',
        [{ label: 'sources', stroke: '#6a3d9a', width: 2, fill: 'rgba(106,61,154,.08)' }],
        srcData,
        'addresses',
      );
    else set('chart-sources', srcData);
    const latData = [x, s.originP50, s.originP95];
    if (!charts['chart-latency'])
      build(
        'chart-latency',
        [
          { label: 'p50', stroke: '#1f4fb4', width: 2, spanGaps: false },
          { label: 'p95', stroke: '#d17a00', width: 2, spanGaps: false },
        ],
        latData,
        'ms',
      );
    else set('chart-latency', latData);
    const modeData = [x, s.mode.map((m) => (m in MODE_NUM ? MODE_NUM[m] : null))];
    if (!charts['chart-mode'])
      build(
        'chart-mode',
        [{ label: 'mode', stroke: '#a4161a', width: 2, paths: uPlot.paths.stepped({ align: 1 }) }],
        modeData,
        '',
        [0, 3],
      );
    else set('chart-mode', modeData);
  }

  window.addEventListener('resize', () => {
    for (const id of Object.keys(charts)) charts[id].setSize(size(document.getElementById(id)));
  });

  window.RampartCharts = { update };
})();
