// The shopflow dashboard: signs in (client credentials or a token), then every 3 s reads
// GET /v1/dashboard (the analytics queries) and /metrics (live tiles), and draws them with
// ECharts. The SQL console posts to /v1/sql (scope sql).
'use strict';
const state = { token: sessionStorage.getItem('shopflow_token'), charts: {}, last: null, timer: null };
window.shopflow = state; // for tests and the curious

const $ = (id) => document.getElementById(id);

async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: 'Bearer ' + state.token }, options.headers || {});
  const res = await fetch(path, Object.assign({}, options, { headers }));
  if (res.status === 401) { signOut('Your session ended; sign in again.'); throw new Error('unauthorized'); }
  return res;
}

async function signIn(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  $('signin-error').textContent = '';
  let token = (form.get('token') || '').trim();
  if (!token) {
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: form.get('client_id'), client_secret: form.get('client_secret') });
    const res = await fetch('/oauth2/token', { method: 'POST', body });
    const answer = await res.json().catch(() => ({}));
    if (!res.ok) { $('signin-error').textContent = answer.error_description || answer.error || ('HTTP ' + res.status); return; }
    token = answer.access_token;
  }
  state.token = token;
  sessionStorage.setItem('shopflow_token', token);
  start();
}

function signOut(message) {
  state.token = null;
  sessionStorage.removeItem('shopflow_token');
  clearInterval(state.timer);
  $('dashboard').hidden = true; $('signout').hidden = true; $('signin').hidden = false;
  $('signin-error').textContent = message || '';
}

function chart(id) {
  if (!state.charts[id]) state.charts[id] = echarts.init($(id));
  return state.charts[id];
}

function bars(id, labels, series, horizontal) {
  const category = { type: 'category', data: labels, axisLabel: { fontSize: 10 } };
  const value = { type: 'value' };
  chart(id).setOption({
    animation: false, // redrawn every few seconds: no replay of the grow-in
    tooltip: { trigger: 'axis' }, legend: series.length > 1 ? {} : undefined,
    grid: { left: 10, right: 30, top: 30, bottom: 10, containLabel: true },
    xAxis: horizontal ? value : category, yAxis: horizontal ? category : value,
    series: series.map((s) => ({ name: s.name, type: 'bar', stack: s.stack, data: s.data })),
  }, true);
}

function rows(result) { return result && result.rows ? result.rows : []; }

async function refresh() {
  const d = await (await api('/v1/dashboard')).json();
  const month = rows(d.revenue_by_month);
  bars('chart-month', month.map((r) => r[0]), [{ name: 'revenue', data: month.map((r) => r[2]) }]);
  const country = rows(d.revenue_by_country).slice().reverse();
  bars('chart-country', country.map((r) => r[0]), [{ name: 'revenue', data: country.map((r) => r[2]) }], true);
  const products = rows(d.top_products).slice().reverse();
  bars('chart-products', products.map((r) => (r[1] || r[0]).slice(0, 28)), [{ name: 'revenue', data: products.map((r) => r[3]) }], true);
  const customers = rows(d.new_vs_returning);
  bars('chart-customers', customers.map((r) => r[0]), [
    { name: 'new', stack: 'c', data: customers.map((r) => r[1]) },
    { name: 'returning', stack: 'c', data: customers.map((r) => r[2]) }]);
  const cancel = rows(d.cancellation_rate)[0];
  if (cancel) $('tile-cancel').textContent = cancel[2] + ' % of lines';
  await tiles();
}

// Live tiles from the Prometheus text of /metrics.
async function tiles() {
  const text = await (await api('/metrics')).text();
  const values = (name) => text.split('\n').filter((l) => l.startsWith(name)).map((l) => {
    const labels = {}; (l.match(/\{(.*)\}/) || [, ''])[1].split(',').filter(Boolean).forEach((kv) => { const [k, v] = kv.split('='); labels[k] = v.replace(/"/g, ''); });
    return { labels, value: Number(l.slice(l.lastIndexOf(' ') + 1)) };
  });
  const ingested = (values('shopflow_ingested_records_total')[0] || { value: 0 }).value;
  const now = Date.now();
  if (state.last) $('tile-rate').textContent = Math.max(0, Math.round((ingested - state.last.ingested) * 1000 / (now - state.last.at))).toLocaleString();
  state.last = { ingested, at: now };
  $('tile-ingested').textContent = ingested.toLocaleString();
  const lag = {};
  values('shopflow_sink_lag_records').forEach((m) => { lag[m.labels.sink] = (lag[m.labels.sink] || 0) + m.value; });
  $('tile-lag').textContent = Object.entries(lag).map(([k, v]) => k + ': ' + v).join('\n') || '–';
  $('tile-rejected').textContent = values('shopflow_rejected_rows').map((m) => m.labels.reason + ': ' + m.value).join('\n') || 'none';
}

async function runSql(asCsv) {
  $('sql-status').textContent = 'running…';
  const res = await api('/v1/sql', { method: 'POST', body: $('sql').value, headers: asCsv ? { Accept: 'text/csv' } : {} });
  if (!res.ok) { $('sql-status').textContent = ((await res.json().catch(() => ({}))).error) || ('HTTP ' + res.status); return; }
  if (asCsv) {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(await res.blob()); link.download = 'shopflow-query.csv'; link.click();
    $('sql-status').textContent = 'downloaded';
    return;
  }
  const r = await res.json();
  const table = document.createElement('table');
  const head = table.insertRow();
  r.columns.forEach((c) => { const th = document.createElement('th'); th.textContent = c.name; head.appendChild(th); });
  r.rows.forEach((row) => { const tr = table.insertRow(); row.forEach((v) => { tr.insertCell().textContent = v === null ? 'NULL' : v; }); });
  $('result').replaceChildren(table);
  $('sql-status').textContent = r.row_count + ' rows';
}

function start() {
  $('signin').hidden = true; $('dashboard').hidden = false; $('signout').hidden = false;
  refresh().catch((e) => console.error(e));
  clearInterval(state.timer);
  state.timer = setInterval(() => refresh().catch((e) => console.error(e)), 3000);
}

$('signin-form').addEventListener('submit', signIn);
$('signout').addEventListener('click', () => signOut());
$('run').addEventListener('click', () => runSql(false));
$('csv').addEventListener('click', () => runSql(true));
window.addEventListener('resize', () => Object.values(state.charts).forEach((c) => c.resize()));
if (state.token) start();
