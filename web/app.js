// The shopflow dashboard. Signs in (client credentials or a token, checked with GET /v1/me), then
// every 3 s reads GET /v1/dashboard with the filters (date range, country) and /metrics (the ops
// tiles), and draws them with ECharts. Clicking a month or a country drills down to its top
// products and customers. The SQL console posts to /v1/sql and keeps saved queries in
// /v1/saved-queries (both scope sql).
'use strict';
const state = {
  token: sessionStorage.getItem('shopflow_token'),
  charts: {}, last: null, timer: null,
  filter: { from: '', to: '', country: '' },
  drill: null,            // { country } or { month: 'YYYY-MM' }
  scale: 'linear',        // the country chart: linear | log | share
  currency: 'GBP', data: null, generation: 0,
};
window.shopflow = state; // for tests and the curious

const $ = (id) => document.getElementById(id);

// ---- formatting: money as currency, counts and SQL numbers with separators ----
const money = (v) => (v === null || v === undefined) ? '–'
  : new Intl.NumberFormat('en-GB', { style: 'currency', currency: state.currency }).format(Number(v));
const compact = (v) => new Intl.NumberFormat('en-GB', { notation: 'compact', maximumFractionDigits: 1 }).format(Number(v));
const count = (v) => (v === null || v === undefined) ? '–' : Number(v).toLocaleString('en-GB');
// Groups the integer digits of a number's text ("823746.140" -> "823,746.140") without going
// through a double, so DECIMAL and HUGEINT values keep every digit.
function grouped(text) {
  const s = String(text);
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(s);
  return m ? m[1] + m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (m[3] || '') : s;
}
const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/;

async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: 'Bearer ' + state.token }, options.headers || {});
  const res = await fetch(path, Object.assign({}, options, { headers }));
  if (res.status === 401) { signOut('Your session ended; sign in again.'); throw new Error('unauthorized'); }
  return res;
}
const errorOf = async (res) => { const a = await res.json().catch(() => ({})); return a.error_description || a.error || ('HTTP ' + res.status); };

// ---- signing in ----
async function signIn(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const fail = (message) => { $('signin-error').textContent = message; };
  fail('');
  let token = (form.get('token') || '').trim();
  try {
    if (!token) {
      const id = (form.get('client_id') || '').trim(), secret = form.get('client_secret') || '';
      if (!id || !secret) return fail('Give a client id and its secret, or an access token.');
      const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: id, client_secret: secret });
      const res = await fetch('/oauth2/token', { method: 'POST', body });
      if (res.status === 401) return fail('Wrong client id or secret.');
      if (res.status === 429) return fail('Too many sign-in attempts; try again in ' + (res.headers.get('Retry-After') || 'a few') + ' s.');
      if (!res.ok) return fail('Sign-in failed: ' + await errorOf(res));
      token = (await res.json()).access_token;
    }
    const me = await fetch('/v1/me', { headers: { Authorization: 'Bearer ' + token } });
    if (me.status === 401) return fail('This access token is not valid (expired, or not issued by this server).');
    if (me.status === 403) return fail('This client may not read the dashboard (it needs scope read).');
    if (!me.ok) return fail('Sign-in failed: ' + await errorOf(me));
    state.token = token;
    sessionStorage.setItem('shopflow_token', token);
    event.target.reset();
    showWho(await me.json());
    start();
  } catch (e) {
    fail('Cannot reach the server: ' + e.message);
  }
}

function showWho(me) {
  state.me = me;
  $('who').textContent = 'Signed in as ' + (me.name ? me.name + ' (' + me.client_id + ')' : me.client_id) + ' · ' + me.scopes;
  $('who').title = me.client_id;
  document.body.classList.toggle('no-sql', !me.scopes.split(' ').includes('sql'));
}

function signOut(message) {
  state.token = null; state.me = null;
  sessionStorage.removeItem('shopflow_token');
  clearInterval(state.timer);
  $('dashboard').hidden = true; $('signout').hidden = true; $('signin').hidden = false;
  $('who').textContent = '';
  $('signin-error').textContent = message || '';
}

// ---- filters and drill-down ----
function filterQuery(extra) {
  const f = Object.assign({}, state.filter, extra || {});
  const q = new URLSearchParams();
  for (const k of ['from', 'to', 'country', 'only']) if (f[k]) q.set(k, f[k]);
  return q.toString();
}

function readFilters() {
  const from = $('filter-from').value, to = $('filter-to').value;
  if (from && to && from > to) { $('filter-error').textContent = 'The first day is after the last.'; return; }
  $('filter-error').textContent = '';
  state.filter = { from, to, country: $('filter-country').value };
  refresh();
}

// The drill-down's filter: the month's days within the filter's range, or the country.
function drillFilter(drill) {
  if (drill.country) return { country: drill.country };
  const [y, m] = drill.month.split('-').map(Number);
  const first = drill.month + '-01';
  const last = drill.month + '-' + String(new Date(Date.UTC(y, m, 0)).getUTCDate()).padStart(2, '0');
  return { from: state.filter.from > first ? state.filter.from : first, to: state.filter.to && state.filter.to < last ? state.filter.to : last };
}

function drillDown(drill) {
  state.drill = drill;
  $('drill').hidden = false;
  $('drill-title').textContent = (drill.country || drill.month) + ': top products and customers';
  return loadDrill().catch(report);
}

async function loadDrill() {
  if (!state.drill) return;
  const drill = state.drill;
  const res = await api('/v1/dashboard?' + filterQuery(Object.assign(drillFilter(drill), { only: 'top_products,top_customers' })));
  if (!res.ok) throw new Error(await errorOf(res));
  const d = await res.json();
  if (state.drill !== drill) return; // another drill-down was asked for meanwhile
  $('drill-products').replaceChildren(table(d.top_products, { revenue: money }));
  $('drill-customers').replaceChildren(table(d.top_customers, { revenue: money }));
}

// ---- charts ----
// A click on a bar or on its axis label drills down: a month, or a country.
const drillKey = { 'chart-month': 'month', 'chart-country': 'country' };
function chart(id) {
  if (!state.charts[id]) {
    const c = state.charts[id] = echarts.init($(id));
    if (drillKey[id]) c.on('click', (p) => { const name = p.componentType === 'series' ? p.name : p.value; if (name) drillDown({ [drillKey[id]]: name }); });
  }
  return state.charts[id];
}

function bars(id, labels, series, opts = {}) {
  const category = { type: 'category', data: labels, triggerEvent: !!opts.clickable, axisLabel: { fontSize: 10, width: 110, overflow: 'truncate' } };
  const value = { type: opts.log ? 'log' : 'value', axisLabel: { formatter: opts.axis || compact, hideOverlap: true } };
  chart(id).setOption({
    animation: false, // redrawn every few seconds: no replay of the grow-in
    tooltip: { trigger: 'axis', confine: true, valueFormatter: opts.format || count }, // confined: no sideways scroll on a phone
    legend: series.length > 1 ? {} : undefined,
    grid: { left: 10, right: 30, top: 30, bottom: 10, containLabel: true },
    xAxis: opts.horizontal ? value : category, yAxis: opts.horizontal ? category : value,
    series: series.map((s) => ({ name: s.name, type: 'bar', stack: s.stack, data: s.data, cursor: opts.clickable ? 'pointer' : 'default' })),
  }, true);
}

function drawCountries() {
  const d = state.data;
  if (!d) return;
  const total = Number((rows(d.kpis)[0] || [0])[0]);
  const country = rows(d.revenue_by_country).slice().reverse();
  const share = state.scale === 'share';
  bars('chart-country', country.map((r) => r[0]), [{ name: share ? 'share of revenue' : 'revenue', data: country.map((r) => share ? Number(r[2]) * 100 / total : r[2]) }],
    { horizontal: true, clickable: true, log: state.scale === 'log',
      format: share ? (v) => Number(v).toFixed(2) + ' %' : money, axis: share ? (v) => v + ' %' : undefined });
}

function rows(result) { return result && result.rows ? result.rows : []; }

function fillChoices(d) {
  const select = $('filter-country'), chosen = select.value;
  const names = rows(d.countries).map((r) => r[0]);
  if (select.options.length - 1 !== names.length || names.some((n, i) => select.options[i + 1].value !== n)) {
    select.replaceChildren(new Option('All countries', ''), ...names.map((n) => new Option(n, n)));
    select.value = names.includes(chosen) ? chosen : '';
  }
  const span = rows(d.date_span)[0];
  if (span && span[0]) for (const id of ['filter-from', 'filter-to']) { $(id).min = span[0]; $(id).max = span[1]; }
}

async function refresh() {
  const generation = ++state.generation;
  const res = await api('/v1/dashboard?' + filterQuery());
  if (!res.ok) { $('filter-error').textContent = await errorOf(res); return; }
  const d = await res.json();
  if (generation !== state.generation) return; // a newer filter's answer is on its way
  state.data = d;
  state.currency = d.currency || 'GBP';
  fillChoices(d);
  const k = rows(d.kpis)[0];
  if (k) {
    $('kpi-revenue').textContent = money(k[0]);
    $('kpi-orders').textContent = count(k[1]);
    $('kpi-aov').textContent = money(k[2]);
    $('kpi-customers').textContent = count(k[3]);
  }
  const c = rows(d.cancellation_rate)[0];
  if (c) {
    $('kpi-cancel').textContent = c[2] === null ? '–' : Number(c[2]).toFixed(2) + ' %';
    $('kpi-cancel-note').textContent = 'of lines; ' + money(c[3]) + ' cancelled' + (c[4] === null ? '' : ' (' + Number(c[4]).toFixed(2) + ' % of revenue)');
  }
  const month = rows(d.revenue_by_month);
  bars('chart-month', month.map((r) => r[0]), [{ name: 'revenue', data: month.map((r) => r[2]) }], { clickable: true, format: money });
  drawCountries();
  const products = rows(d.top_products).slice().reverse();
  bars('chart-products', products.map((r) => r[1] || r[0]), [{ name: 'revenue', data: products.map((r) => r[3]) }], { horizontal: true, format: money });
  const customers = rows(d.new_vs_returning);
  bars('chart-customers', customers.map((r) => r[0]), [
    { name: 'new', stack: 'c', data: customers.map((r) => r[1]) },
    { name: 'returning', stack: 'c', data: customers.map((r) => r[2]) }]);
  await Promise.all([tiles(), loadDrill(), notifications()]);
}

// Live ops tiles from the Prometheus text of /metrics.
async function tiles() {
  const text = await (await api('/metrics')).text();
  const values = (name) => text.split('\n').filter((l) => l.startsWith(name)).map((l) => {
    const labels = {}; (l.match(/\{(.*)\}/) || [, ''])[1].split(',').filter(Boolean).forEach((kv) => { const [key, v] = kv.split('='); labels[key] = v.replace(/"/g, ''); });
    return { labels, value: Number(l.slice(l.lastIndexOf(' ') + 1)) };
  });
  const ingested = (values('shopflow_ingested_records_total')[0] || { value: 0 }).value;
  const now = Date.now();
  if (state.last) $('tile-rate').textContent = count(Math.max(0, Math.round((ingested - state.last.ingested) * 1000 / (now - state.last.at))));
  state.last = { ingested, at: now };
  $('tile-ingested').textContent = count(ingested);
  const lag = {};
  values('shopflow_sink_lag_records').forEach((m) => { lag[m.labels.sink] = (lag[m.labels.sink] || 0) + m.value; });
  $('tile-lag').textContent = Object.entries(lag).map(([name, v]) => name + ': ' + count(v)).join('\n') || '–';
  const rejected = values('shopflow_rejected_rows').filter((m) => m.value > 0);
  $('tile-rejected').textContent = rejected.map((m) => m.labels.reason + ': ' + count(m.value)).join('\n') || 'none';
}

// ---- notifications (scope admin): subscriptions, their queues and their latest attempts ----
const when = (ms) => new Date(ms).toLocaleString('en-GB');
function cells(headers, rowsOfCells) {
  const t = document.createElement('table');
  const head = t.createTHead().insertRow();
  headers.forEach((h) => { const th = document.createElement('th'); th.textContent = h; head.appendChild(th); });
  const body = t.createTBody();
  rowsOfCells.forEach((r) => { const tr = body.insertRow(); r.forEach((v) => { tr.insertCell().textContent = v; }); });
  return t;
}
async function notifications() {
  if (!state.me || !state.me.scopes.split(' ').includes('admin')) return;
  const res = await api('/v1/subscriptions');
  $('notifications').hidden = false;
  if (!res.ok) { $('notify-note').textContent = await errorOf(res); $('notify-subscriptions').replaceChildren(); $('notify-failures').replaceChildren(); return; }
  const list = (await res.json()).subscriptions;
  $('notify-note').textContent = list.length ? '' : 'No subscriptions yet: add one with shopflow notify add, or POST /v1/subscriptions.';
  $('notify-subscriptions').replaceChildren(cells(['Subscription', 'Events', 'Filter', 'Delivers to', 'Queued', 'Dead', 'Delivered', 'Failed attempts', 'Last attempt'],
    list.map((s) => {
      const sub = s.subscription, last = s.recent[0];
      const to = sub.webhook_url || (sub.email + (sub.digest_minutes ? ' (digest every ' + sub.digest_minutes + ' min)' : ''));
      return [sub.id, sub.events, sub.filter || '–', to, count(s.queued), count(s.dead), count(s.delivered), count(s.failed_attempts),
        last ? when(last.at_ms) + (last.delivered ? ' · delivered' : ' · failed: ' + last.detail) : '–'];
    })));
  const failures = list.flatMap((s) => s.recent.filter((a) => !a.delivered).map((a) => ({ id: s.subscription.id, a })))
    .sort((x, y) => y.a.at_ms - x.a.at_ms).slice(0, 20);
  $('notify-failures').replaceChildren(failures.length ? cells(['When', 'Subscription', 'Event', 'Why'],
    failures.map(({ id, a }) => [when(a.at_ms), id, a.event_id + (a.events > 1 ? ' (+' + (a.events - 1) + ')' : ''), a.detail])) : document.createTextNode('none'));
}

// ---- results tables: numbers right-aligned with separators; `formats` by column name ----
function table(result, formats = {}) {
  const t = document.createElement('table');
  const head = t.createTHead().insertRow();
  const numeric = result.columns.map((c) => NUMERIC.test(c.type));
  result.columns.forEach((c, i) => { const th = document.createElement('th'); th.textContent = c.name; if (numeric[i]) th.className = 'num'; head.appendChild(th); });
  const body = t.createTBody();
  result.rows.forEach((row) => {
    const tr = body.insertRow();
    row.forEach((v, i) => {
      const td = tr.insertCell();
      const format = formats[result.columns[i].name];
      td.textContent = v === null ? 'NULL' : format ? format(v) : numeric[i] ? grouped(v) : v;
      if (numeric[i]) td.className = 'num';
      if (v === null) td.classList.add('null');
    });
  });
  return t;
}

// ---- the SQL console ----
async function runSql(asCsv) {
  $('sql-status').textContent = 'running…';
  const started = performance.now();
  const res = await api('/v1/sql', { method: 'POST', body: $('sql').value, headers: asCsv ? { Accept: 'text/csv' } : {} });
  if (!res.ok) { $('sql-status').textContent = await errorOf(res); $('result').replaceChildren(); return; }
  if (asCsv) {
    download(URL.createObjectURL(await res.blob()), 'shopflow-query.csv');
    $('sql-status').textContent = 'downloaded';
    return;
  }
  const r = await res.json();
  $('result').replaceChildren(table(r));
  $('sql-status').textContent = count(r.row_count) + (r.row_count === 1 ? ' row' : ' rows') + ' in ' + Math.round(performance.now() - started) + ' ms';
}

async function loadSaved(select) {
  const res = await api('/v1/saved-queries');
  if (!res.ok) return;
  state.saved = (await res.json()).queries;
  $('saved').replaceChildren(new Option('—', ''), ...state.saved.map((q) => new Option(q.name, q.name)));
  $('saved').value = select || '';
}

async function saveQuery() {
  const current = $('saved').value;
  const name = (window.prompt('Save this query as:', current) || '').trim();
  if (!name) return;
  const res = await api('/v1/saved-queries/' + encodeURIComponent(name), { method: 'PUT', body: $('sql').value });
  $('sql-status').textContent = res.ok ? 'saved as ' + name : await errorOf(res);
  if (res.ok) await loadSaved(name);
}

async function deleteQuery() {
  const name = $('saved').value;
  if (!name || !window.confirm('Delete the saved query ' + name + '?')) return;
  const res = await api('/v1/saved-queries/' + encodeURIComponent(name), { method: 'DELETE' });
  $('sql-status').textContent = res.ok ? 'deleted ' + name : await errorOf(res);
  await loadSaved();
}

function download(href, name) {
  const link = document.createElement('a');
  link.href = href; link.download = name;
  document.body.appendChild(link); link.click(); link.remove();
}

function report(e) { if (e.message !== 'unauthorized') { console.error(e); $('filter-error').textContent = e.message; } }

async function start() {
  $('signin').hidden = true; $('dashboard').hidden = false; $('signout').hidden = false;
  if (!state.me) {
    const me = await api('/v1/me').catch(() => null);
    if (!me || !me.ok) return;
    showWho(await me.json());
  }
  refresh().catch(report);
  if (!document.body.classList.contains('no-sql')) loadSaved().catch(report);
  clearInterval(state.timer);
  state.timer = setInterval(() => refresh().catch(report), 3000);
}

$('signin-form').addEventListener('submit', signIn);
$('signout').addEventListener('click', () => signOut());
$('filters').addEventListener('change', readFilters);
$('filters').addEventListener('submit', (e) => { e.preventDefault(); readFilters(); });
$('filter-reset').addEventListener('click', () => { $('filters').reset(); readFilters(); });
$('drill-close').addEventListener('click', () => { state.drill = null; $('drill').hidden = true; });
$('run').addEventListener('click', () => runSql(false).catch(report));
$('csv').addEventListener('click', () => runSql(true).catch(report));
$('save').addEventListener('click', () => saveQuery().catch(report));
$('unsave').addEventListener('click', () => deleteQuery().catch(report));
$('saved').addEventListener('change', () => { const q = (state.saved || []).find((s) => s.name === $('saved').value); if (q) $('sql').value = q.sql; });
document.querySelectorAll('[data-scale]').forEach((b) => b.addEventListener('click', () => {
  state.scale = b.dataset.scale;
  document.querySelectorAll('[data-scale]').forEach((o) => o.classList.toggle('on', o === b));
  drawCountries();
}));
document.querySelectorAll('button.png').forEach((b) => b.addEventListener('click', () => {
  const id = b.dataset.chart;
  download(chart(id).getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: '#fff' }), 'shopflow-' + id.replace('chart-', '') + '.png');
}));
// A tooltip shown before the resize would stay where the old layout put it.
window.addEventListener('resize', () => Object.values(state.charts).forEach((c) => { c.dispatchAction({ type: 'hideTip' }); c.resize(); }));
if (state.token) start().catch(report);
