// Dashboard logic: token login (sessionStorage, sent only in the
// Authorization header, never in a URL), polling of /api/status, /api/series,
// /api/top, /api/bans and (when the evidence routes exist) /api/incidents,
// ban management and the mode switch. No framework, no inline scripts (CSP).
(() => {
  const KEY = 'rampart.adminToken';
  const $ = (id) => document.getElementById(id);
  let timer = null;
  let slowTick = 0;
  let hasIncidents = null;
  let hasReports = false;

  function token() {
    return sessionStorage.getItem(KEY) || '';
  }

  async function api(method, path, body) {
    const headers = { authorization: `Bearer ${token()}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    const type = res.headers.get('content-type') || '';
    const data = type.includes('json') ? await res.json() : await res.blob();
    if (res.status === 401 || res.status === 403) {
      signOut(`The token was refused: ${data.error ? data.error.message : res.status}`);
      throw new Error('auth');
    }
    if (!res.ok) {
      const e = new Error(
        data.error ? data.error.message + (data.error.hint ? ` (${data.error.hint})` : '') : `HTTP ${res.status}`,
      );
      e.status = res.status;
      throw e;
    }
    return data;
  }

  function cell(tr, text, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  function fillTop(id, rows) {
    const body = $(id).querySelector('tbody');
    body.textContent = '';
    if (!rows.length) {
      const tr = body.insertRow();
      cell(tr, 'nothing yet').colSpan = 2;
      return;
    }
    for (const r of rows) {
      const tr = body.insertRow();
      cell(tr, r.key);
      cell(tr, r.count.toLocaleString(), 'num');
    }
  }

  function showStatus(s) {
    $('mode').textContent = s.mode.replace('_', ' ');
    $('mode').className = `pill ${s.mode}`;
    $('enforcement').textContent = s.enforcement;
    $('enforcement').className = `pill ${s.enforcement}`;
    $('rps').textContent = s.rates.rps.toFixed(1);
    $('refused').textContent = s.rates.refusedPerSecond.toFixed(1);
    $('statehealth').textContent = s.state ? s.state.backend + (s.state.connected ? '' : ' (disconnected)') : 'n/a';
    $('statehealth').className = `pill ${s.state && !s.state.connected ? 'bad' : ''}`;
    $('version').textContent = `Rampart ${s.version}`;
    // Cluster mode: rates and series are the answering worker's own share.
    $('worker-box').hidden = !s.worker;
    if (s.worker) $('worker').textContent = `worker ${s.worker.index} of ${s.worker.count} (own rates)`;
    const b = $('banner');
    if (s.activeIncident || s.classification?.length) {
      const what = s.classification?.length ? s.classification.join(' + ').replace(/_/g, ' ') : 'unclassified anomaly';
      b.className = 'banner alert';
      b.textContent =
        'Attack in progress' +
        (s.activeIncident ? ` (incident ${s.activeIncident.id})` : '') +
        ': ' +
        what +
        ' — mode ' +
        s.mode.replace('_', ' ') +
        '.' +
        (s.activeIncident?.verdict ? ` ${s.activeIncident.verdict}` : '');
    } else if (s.mode !== 'normal') {
      b.className = 'banner watch';
      b.textContent = `Mode ${s.mode.replace('_', ' ')} — watching traffic closely.`;
    } else {
      b.className = 'banner calm';
      b.textContent = 'No attack detected.';
    }
    for (const btn of document.querySelectorAll('[data-enforcement]'))
      btn.setAttribute('aria-pressed', String(btn.dataset.enforcement === s.enforcement));
    // The mode buttons show the operator's override ('auto' when the detector decides).
    const forced = s.modeOverride === undefined ? null : s.modeOverride || 'auto';
    if (forced)
      for (const btn of document.querySelectorAll('[data-mode]'))
        btn.setAttribute('aria-pressed', String(btn.dataset.mode === forced));
  }

  function showBans(list) {
    const body = $('bans').querySelector('tbody');
    body.textContent = '';
    for (const ban of list) {
      const tr = body.insertRow();
      cell(tr, ban.target);
      cell(tr, ban.rule);
      cell(tr, new Date(ban.until).toLocaleString());
      cell(tr, ban.reason);
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.textContent = 'Remove';
      btn.setAttribute('aria-label', `Remove ban on ${ban.target}`);
      btn.addEventListener('click', () =>
        act(() => api('DELETE', `/api/bans/${encodeURIComponent(ban.target)}`), 'ban-error'),
      );
      cell(tr, '').appendChild(btn);
    }
  }

  async function downloadReport(id) {
    const blob = await api('GET', `/api/incidents/${encodeURIComponent(id)}/report?format=html`);
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `rampart-incident-${id}.html`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }

  function showIncidents(data) {
    const list = Array.isArray(data) ? data : data.incidents || [];
    $('incidents-none').hidden = list.length > 0;
    $('incidents-none').textContent = list.length ? '' : 'No incidents recorded yet.';
    $('incidents').hidden = list.length === 0;
    const body = $('incidents').querySelector('tbody');
    body.textContent = '';
    for (const inc of list.slice(0, 20)) {
      const tr = body.insertRow();
      cell(tr, String(inc.id));
      cell(tr, inc.startedAt ? new Date(inc.startedAt).toLocaleString() : '');
      cell(tr, inc.status || (inc.endedAt ? 'closed' : 'open'));
      cell(
        tr,
        inc.verdict ||
          (inc.vectors || []).map((v) => (typeof v === 'string' ? v : v.vector).replace(/_/g, ' ')).join(', '),
      );
      if (!hasReports) {
        cell(tr, '');
        continue;
      }
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.textContent = 'Report';
      btn.setAttribute('aria-label', `Download the report of incident ${inc.id}`);
      btn.addEventListener('click', () => act(() => downloadReport(inc.id), 'error'));
      cell(tr, '').appendChild(btn);
    }
  }

  async function act(fn, errId) {
    $(errId).textContent = '';
    try {
      await fn();
      await poll(true);
    } catch (e) {
      if (e.message !== 'auth') $(errId).textContent = e.message;
    }
  }

  async function poll(all) {
    try {
      const [status, series] = await Promise.all([api('GET', '/api/status'), api('GET', '/api/series?seconds=120')]);
      showStatus(status);
      window.RampartCharts.update(series);
      if (all || slowTick++ % 3 === 0) {
        const [top, bans] = await Promise.all([
          api('GET', '/api/top'),
          api('GET', '/api/bans').catch(() => ({ bans: [] })),
        ]);
        fillTop('top-prefixes', top.prefixes);
        fillTop('top-asns', top.asns);
        fillTop('top-countries', top.countries);
        fillTop('top-paths', top.paths);
        showBans(bans.bans);
        // Incidents are contributed by the evidence module; ask the router rather than probe (a 404 is a console error).
        if (hasIncidents === null) {
          const routes = (await api('GET', '/api/routes')).routes;
          hasIncidents = routes.includes('GET /api/incidents');
          hasReports = routes.some((r) => /^GET \/api\/incidents\/:[a-z]+\/report$/i.test(r));
        }
        if (hasIncidents) showIncidents(await api('GET', '/api/incidents'));
      }
      $('error').textContent = '';
    } catch (e) {
      if (e.message !== 'auth') $('error').textContent = `Cannot reach the admin API: ${e.message}`;
    }
  }

  function signIn() {
    $('login').hidden = true;
    $('main').hidden = false;
    $('logout').hidden = false;
    poll(true).then(() => {
      // Alert links point at #incident=ID: bring the incidents into view.
      if (location.hash.startsWith('#incident=')) document.getElementById('incidents-h').scrollIntoView();
    });
    timer = setInterval(() => poll(false), 1000);
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY);
    if (timer) clearInterval(timer);
    timer = null;
    $('main').hidden = true;
    $('logout').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
    $('token').focus();
  }

  $('login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(KEY, $('token').value.trim());
    $('token').value = '';
    $('login-error').textContent = '';
    signIn();
  });
  $('logout').addEventListener('click', () => signOut(''));
  $('ban-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = { target: $('ban-target').value.trim(), duration: $('ban-duration').value.trim() || '1h' };
    if ($('ban-reason').value.trim()) body.reason = $('ban-reason').value.trim();
    act(async () => {
      await api('POST', '/api/bans', body);
      $('ban-target').value = '';
      $('ban-reason').value = '';
    }, 'ban-error');
  });
  for (const btn of document.querySelectorAll('[data-mode]'))
    btn.addEventListener('click', () => act(() => api('POST', '/api/mode', { mode: btn.dataset.mode }), 'error'));
  for (const btn of document.querySelectorAll('[data-enforcement]'))
    btn.addEventListener('click', () =>
      act(() => api('POST', '/api/mode', { enforcement: btn.dataset.enforcement }), 'error'),
    );

  if (token()) signIn();
  else signOut('');
})();
