// Drives the dashboard in headless Chromium (Debian's) with playwright-core: sign in with client
// credentials, wait for every chart to hold data, run a query in the SQL console, keep a screenshot.
// usage: node dashboard.js URL CLIENT_ID CLIENT_SECRET OUT_DIR EXPECTED_TRANSACTIONS
const { chromium } = require('playwright-core');

(async () => {
  const [url, id, secret, out, expected] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('requestfailed', (r) => errors.push('request failed: ' + r.url()));
    await page.goto(url);
    await page.fill('input[name=client_id]', id);
    await page.fill('input[name=client_secret]', secret);
    await page.click('#signin-form button[type=submit]');
    const charts = ['chart-month', 'chart-country', 'chart-products', 'chart-customers'];
    await page.waitForFunction((ids) => ids.every((k) => {
      const c = window.shopflow.charts[k];
      return c && c.getOption().series.some((s) => s.data.length > 0);
    }), charts, { timeout: 20000 });
    const points = await page.evaluate((ids) => ids.map((k) => window.shopflow.charts[k].getOption().series.reduce((n, s) => n + s.data.length, 0)), charts);
    console.log('chart points', charts.map((k, i) => k + '=' + points[i]).join(' '));
    await page.waitForFunction(() => document.getElementById('tile-ingested').textContent !== '–', null, { timeout: 10000 });
    await page.fill('#sql', 'SELECT count(*) AS n FROM transactions');
    await page.click('#run');
    await page.waitForSelector('#result table', { timeout: 10000 });
    const n = await page.textContent('#result table tr:nth-child(2) td');
    if (n !== expected) throw new Error(`console answered ${n}, expected ${expected}`);
    await page.screenshot({ path: out + '/dashboard.png', fullPage: true });
    if (errors.length) throw new Error('page errors: ' + errors.join('; '));
    console.log('ok');
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
