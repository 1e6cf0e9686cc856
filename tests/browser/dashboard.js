// Drives the dashboard in headless Chromium (Debian's) with playwright-core, as an analyst would,
// and checks what the page shows against the server's own SQL answers (POST /v1/sql):
//   a wrong secret (an error on the page, no Basic challenge), then the right one (who is signed
//   in); the KPI tiles; the country and date filters; a drill-down by clicking a country's bar;
//   the log and share views; a chart's PNG export; the console (numbers, saved queries); and the
//   page at 420 px wide (no sideways scrolling), kept as a screenshot.
//   The notifications' view is an admin's only: hidden for the analyst; signed in as ADMIN_ID, it
//   lists the subscriptions and the latest failed deliveries (a subscription whose webhook is down).
// usage: node dashboard.js URL CLIENT_ID CLIENT_SECRET OUT_DIR EXPECTED_TRANSACTIONS EXPECTED_REVENUE_TEXT ADMIN_ID ADMIN_SECRET SUBSCRIPTION
const { chromium } = require('playwright-core');
const fs = require('fs');

function check(ok, what) { if (!ok) throw new Error(what); console.log('ok   ' + what.split(':')[0]); }

(async () => {
  const [url, id, secret, out, transactions, revenueText, adminId, adminSecret, subscription] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1200 }, acceptDownloads: true });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push('console: ' + m.text()); });
    page.on('requestfailed', (r) => errors.push('request failed: ' + r.url()));
    const text = (selector) => page.textContent(selector).then((t) => t.trim());
    const waitText = (selector, expected) => page.waitForFunction(([s, e]) => document.querySelector(s).textContent.trim() === e,
      [selector, expected], { timeout: 15000 }).catch(async () => { throw new Error(`${selector} shows "${await text(selector)}", expected "${expected}"`); });
    // The server's own answer to a query, with the page's token.
    const sql = (query) => page.evaluate(async (q) => {
      const res = await fetch('/v1/sql', { method: 'POST', body: q, headers: { Authorization: 'Bearer ' + window.shopflow.token } });
      return (await res.json()).rows;
    }, query);
    const money = (v) => page.evaluate((x) => new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'GBP' }).format(Number(x)), v);
    const literal = (s) => "'" + s.replace(/'/g, "''") + "'";

    // A wrong secret: the page says so; the token endpoint sends no Basic challenge (a browser dialog).
    await page.goto(url);
    const refused = await page.request.post(url + '/oauth2/token', { form: { grant_type: 'client_credentials', client_id: id, client_secret: 'wrong' } });
    check(refused.status() === 401 && !refused.headers()['www-authenticate'], 'wrong secret: 401 without WWW-Authenticate: ' + JSON.stringify(refused.headers()));
    await page.fill('input[name=client_id]', id);
    await page.fill('input[name=client_secret]', 'wrong-secret');
    await page.click('#signin-form button[type=submit]');
    await waitText('#signin-error', 'Wrong client id or secret.');
    check(await page.isVisible('#signin') && await page.isHidden('#dashboard'), 'wrong secret keeps the sign-in form');
    errors.length = 0; // Chromium logs the refused token request's 401 as a console error

    // The right one, on the same form.
    await page.fill('input[name=client_id]', id);
    await page.fill('input[name=client_secret]', secret);
    await page.click('#signin-form button[type=submit]');
    await page.waitForSelector('#dashboard', { state: 'visible', timeout: 10000 });
    const who = await text('#who');
    check(who.includes('analyst') && who.includes(id), 'who is signed in: ' + who);
    check(await text('#signin-error') === '', 'the error is cleared');

    // KPI tiles: money as currency, counts with separators, equal to SQL's figures.
    await waitText('#kpi-revenue', revenueText);
    const [[orders, customers]] = await sql("SELECT count(DISTINCT invoice_no), count(DISTINCT customer_id) FILTER (WHERE customer_id <> 'Unknown') FROM transactions");
    await waitText('#kpi-orders', Number(orders).toLocaleString('en-GB'));
    await waitText('#kpi-customers', Number(customers).toLocaleString('en-GB'));
    check(/^£[\d,]+\.\d\d$/.test(await text('#kpi-aov')), 'average order value as currency: ' + await text('#kpi-aov'));
    const charts = ['chart-month', 'chart-country', 'chart-products', 'chart-customers'];
    await page.waitForFunction((ids) => ids.every((k) => {
      const c = window.shopflow.charts[k];
      return c && c.getOption().series.some((s) => s.data.length > 0);
    }), charts, { timeout: 20000 });
    const countries = await page.evaluate(() => window.shopflow.charts['chart-country'].getOption().yAxis[0].data);
    const [[topCountry]] = await sql('SELECT country FROM transactions GROUP BY 1 ORDER BY sum(amount) DESC, 1 LIMIT 1');
    check(countries.length === 10 && countries[9] === topCountry, 'country chart, top country last (at the top): ' + countries.join(', '));

    // Filters apply to every chart: a country, then a date range within it.
    const country = countries[7]; // the third largest
    await page.selectOption('#filter-country', country);
    const [[countryRevenue]] = await sql('SELECT sum(amount) FROM transactions WHERE country = ' + literal(country));
    await waitText('#kpi-revenue', await money(countryRevenue));
    const shown = await page.evaluate(() => window.shopflow.charts['chart-country'].getOption().yAxis[0].data);
    check(shown.length === 1 && shown[0] === country, 'country filter narrows the country chart: ' + shown.join(', '));
    await page.fill('#filter-from', '2010-12-05');
    await page.fill('#filter-to', '2010-12-09');
    await page.dispatchEvent('#filter-to', 'change');
    const [[rangeRevenue]] = await sql(`SELECT coalesce(sum(amount), 0) FROM transactions WHERE country = ${literal(country)} AND invoice_date >= DATE '2010-12-05' AND invoice_date < DATE '2010-12-10'`);
    await waitText('#kpi-revenue', await money(rangeRevenue));
    await page.click('#filter-reset');
    await waitText('#kpi-revenue', revenueText);

    // Drill-down: a click on a country's bar lists its top products and customers.
    await page.waitForFunction((c) => window.shopflow.charts['chart-country'].getOption().yAxis[0].data.includes(c), country, { timeout: 10000 });
    const point = await page.evaluate((c) => {
      const chart = window.shopflow.charts['chart-country'];
      const option = chart.getOption();
      const index = option.yAxis[0].data.indexOf(c);
      return chart.convertToPixel({ seriesIndex: 0 }, [Number(option.series[0].data[index]) / 2, index]);
    }, country);
    const box = await page.locator('#chart-country').boundingBox();
    await page.mouse.click(box.x + point[0], box.y + point[1]);
    await page.waitForSelector('#drill', { state: 'visible', timeout: 10000 });
    check((await text('#drill-title')).startsWith(country), 'drill-down title names ' + country);
    const [[topProduct]] = await sql(`SELECT stock_code FROM transactions WHERE line_type = 'product' AND country = ${literal(country)} GROUP BY 1 ORDER BY sum(amount) DESC, 1 LIMIT 1`);
    const [[topCustomer, topCustomerRevenue]] = await sql(`SELECT customer_id, sum(amount) FROM transactions WHERE customer_id <> 'Unknown' AND country = ${literal(country)} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1`);
    await waitText('#drill-products tbody tr:first-child td:first-child', topProduct);
    await waitText('#drill-customers tbody tr:first-child td:first-child', topCustomer);
    check(await text('#drill-customers tbody tr:first-child td:last-child') === await money(topCustomerRevenue), 'drill-down customer revenue as currency');

    // A click on a month's bar drills down to that month (the December file: one month).
    const monthPoint = await page.evaluate(() => {
      const chart = window.shopflow.charts['chart-month'];
      const option = chart.getOption();
      return chart.convertToPixel({ seriesIndex: 0 }, [0, Number(option.series[0].data[0]) / 2]);
    });
    const monthBox = await page.locator('#chart-month').boundingBox();
    await page.mouse.click(monthBox.x + monthPoint[0], monthBox.y + monthPoint[1]);
    await page.waitForFunction(() => document.getElementById('drill-title').textContent.startsWith('2010-12'), null, { timeout: 10000 });
    const [[monthTopProduct]] = await sql(`SELECT stock_code FROM transactions WHERE line_type = 'product' AND invoice_date >= DATE '2010-12-01' AND invoice_date < DATE '2011-01-01' GROUP BY 1 ORDER BY sum(amount) DESC, 1 LIMIT 1`);
    await waitText('#drill-products tbody tr:first-child td:first-child', monthTopProduct);
    check(true, 'month drill-down: ' + monthTopProduct);

    // The country chart's log and share views.
    await page.click('[data-scale=log]');
    check(await page.evaluate(() => window.shopflow.charts['chart-country'].getOption().xAxis[0].type) === 'log', 'log view');
    await page.click('[data-scale=share]');
    const [[topShare]] = await sql(`SELECT round(100 * sum(amount) FILTER (WHERE country = ${literal(topCountry)}) / sum(amount), 2) FROM transactions`);
    const shownShare = await page.evaluate(() => { const s = window.shopflow.charts['chart-country'].getOption().series[0].data; return Number(s[s.length - 1]).toFixed(2); });
    check(Number(shownShare) === Number(topShare), `share view: ${topCountry} ${shownShare} % (SQL ${topShare} %)`);
    await page.click('[data-scale=linear]');

    // PNG export of a chart.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button.png[data-chart=chart-country]')]);
    const png = fs.readFileSync(await download.path());
    check(download.suggestedFilename() === 'shopflow-country.png' && png.subarray(1, 4).toString() === 'PNG' && png.readUInt32BE(16) > 100,
      'PNG export: ' + download.suggestedFilename() + ', ' + png.length + ' bytes');

    // The console: numbers right-aligned with separators; a saved query comes back.
    await page.fill('#sql', 'SELECT count(*) AS n FROM transactions');
    await page.click('#run');
    await page.waitForSelector('#result table', { timeout: 10000 });
    const cell = page.locator('#result tbody td').first();
    check(await cell.textContent() === Number(transactions).toLocaleString('en-GB') && await cell.evaluate((td) => getComputedStyle(td).textAlign) === 'right',
      'console count ' + await cell.textContent() + ', right-aligned');
    page.once('dialog', (d) => d.accept('transactions count'));
    await page.click('#save');
    await page.waitForFunction(() => [...document.querySelectorAll('#saved option')].some((o) => o.value === 'transactions count'), null, { timeout: 10000 });
    await page.fill('#sql', 'SELECT 1');
    await page.selectOption('#saved', '');
    await page.selectOption('#saved', 'transactions count');
    check(await page.inputValue('#sql') === 'SELECT count(*) AS n FROM transactions', 'saved query loads back');

    // 420 px wide: nothing scrolls sideways; the KPI tiles come first.
    await page.setViewportSize({ width: 420, height: 1600 });
    await page.waitForTimeout(300);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    const wide = await page.evaluate(() => [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 421)
      .slice(0, 8).map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className).split(' ')[0] : '') + (e.closest('[id]') ? ' in #' + e.closest('[id]').id : '') + ' ends at ' + Math.round(e.getBoundingClientRect().right) + ' w' + Math.round(e.getBoundingClientRect().width) + ' ' + (e.getAttribute('style') || '').slice(0, 80)));
    check(width <= 420, '420 px: page width ' + width + (wide.length ? ' (' + wide.join(', ') + ')' : ''));
    const tile = await page.locator('#kpi-revenue').boundingBox();
    const ops = await page.locator('#tile-rate').boundingBox();
    check(tile.x >= 0 && tile.x + tile.width <= 420 && tile.y < ops.y, 'KPI tiles before the ops tiles at 420 px');
    await page.screenshot({ path: out + '/dashboard-420.png', fullPage: true });
    await page.setViewportSize({ width: 1400, height: 1200 });
    await page.screenshot({ path: out + '/dashboard.png', fullPage: true });

    // Notifications: not the analyst's; an admin sees the subscription and its failed delivery.
    check(await page.isHidden('#notifications'), 'notifications hidden without scope admin');
    await page.click('#signout');
    await page.fill('input[name=client_id]', adminId);
    await page.fill('input[name=client_secret]', adminSecret);
    await page.click('#signin-form button[type=submit]');
    await page.waitForSelector('#notifications', { state: 'visible', timeout: 10000 });
    await page.waitForFunction((sub) => [...document.querySelectorAll('#notify-subscriptions td')].some((td) => td.textContent === sub), subscription, { timeout: 10000 });
    await page.waitForFunction(() => /notify\.test\//.test(document.querySelector('#notify-failures').textContent), null, { timeout: 10000 });
    const failure = await text('#notify-failures');
    check(/Couldn't connect|Failed to connect|refused/i.test(failure), 'the failed delivery says why: ' + failure);
    await page.locator('#notifications').screenshot({ path: out + '/dashboard-notifications.png' });
    check(errors.length === 0, 'no page errors: ' + errors.join('; '));
    console.log('ok');
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
