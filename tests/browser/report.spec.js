// report.spec.js - open lockstep's report.html files in chromium and check
// that they work offline: no console error, no request leaving file://, the
// network drawn, a group section reached by clicking a node, search and
// sorting alive.  Screenshots are kept in SHOTS.
//
//   node report.spec.js SHOTS NAME=PATH...
//
// playwright-core drives Debian's chromium ($CHROMIUM, /usr/bin/chromium),
// headless, --no-sandbox (the test runs as root in CI).  Plain node, no test
// runner: prints one line per check and "N passed, N failed" at the end.
'use strict';

const path = require('path');
const { chromium } = require('playwright-core');

const [shots, ...reports] = process.argv.slice(2);
let passed = 0, failed = 0;

function check(ok, what) {
    if (ok) {
        passed++;
        console.log('ok   ' + what);
    } else {
        failed++;
        console.log('FAIL ' + what);
    }
}

async function openReport(browser, name, file) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = [], outside = [];
    page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') errors.push(m.type() + ': ' + m.text());
    });
    page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
    page.on('dialog', (d) => {
        errors.push('dialog: ' + d.message());
        d.dismiss().catch(() => {});
    });
    // every request is seen here; anything but file:// is recorded and refused
    await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('file://')) return route.continue();
        outside.push(url);
        return route.abort();
    });
    page.on('request', (r) => {
        if (!r.url().startsWith('file://') && !outside.includes(r.url())) outside.push(r.url());
    });

    await page.goto('file://' + path.resolve(file));
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });

    const nodes = await page.evaluate(() => window.lockstepReport.nodes);
    check(nodes > 0, `${name}: the network has nodes (${nodes})`);
    await page.locator('#lk-net').scrollIntoViewIfNeeded();
    const painted = await page.evaluate(() => {
        const c = document.getElementById('lk-net');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return n;
    });
    check(painted > 200, `${name}: the network is drawn (${painted} painted pixels)`);
    await page.screenshot({ path: path.join(shots, `${name}-overview.png`), fullPage: true });

    // hover and click the first node
    const p = await page.evaluate(() => window.lockstepReport.nodeClientPoint(0));
    await page.mouse.move(p.x, p.y);
    const tip = await page.locator('#lk-tip').isVisible();
    check(tip, `${name}: hovering a node shows its tooltip`);
    await page.screenshot({ path: path.join(shots, `${name}-hover.png`) });
    await page.mouse.click(p.x, p.y);
    const opened = page.locator('details.group.selected[open]');
    await opened.waitFor({ timeout: 10000 }).catch(() => {});
    check(await opened.count() === 1, `${name}: clicking a node opens its group section`);
    if (await opened.count() === 1) {
        const top = await opened.evaluate((d) => d.getBoundingClientRect().top);
        check(Math.abs(top) < 50, `${name}: the group section is scrolled into view (top ${top})`);
        const tables = await opened.locator('table').count();
        check(tables >= 3, `${name}: the group section has its tables (${tables})`);
        const timeline = await opened.locator('canvas.timeline').count();
        check(timeline === 1, `${name}: the group section has a timeline plot`);
        await page.screenshot({ path: path.join(shots, `${name}-group.png`) });
    }

    // sorting the groups table: a numeric column sorts descending on the
    // first click and ascending on the second
    const th = page.locator('#lk-groups th', { hasText: 'edges' });
    const column = () => page.evaluate(() => Array.from(
        document.querySelectorAll('#lk-groups tbody tr'), (r) => Number(r.children[2].textContent)));
    const monotone = (v, dir) => v.length > 0 && v.every((x, i) => i === 0 || (v[i - 1] - x) * dir >= 0);
    await th.click();
    const down = await column();
    await th.click();
    const up = await column();
    check(monotone(down, 1) && monotone(up, -1) && (new Set(down).size < 2 || down.join() !== up.join()),
          `${name}: a table sorts by a clicked column, both ways`);

    // account search: the first listed account finds itself
    const first = await page.evaluate(() => document.querySelector('#lk-data') &&
        JSON.parse(document.getElementById('lk-data').textContent).accounts[0][0]);
    await page.fill('#lk-q', first.slice(0, 8));
    await page.waitForSelector('#lk-results tbody tr', { timeout: 5000 }).catch(() => {});
    const hits = await page.locator('#lk-results tbody tr').count();
    check(hits >= 1, `${name}: account search finds '${first.slice(0, 8)}' (${hits} rows)`);
    await page.screenshot({ path: path.join(shots, `${name}-search.png`) });

    // every group section opened: no element may come from the data
    await page.evaluate(() => document.querySelectorAll('details.group').forEach((d) => { d.open = true; }));
    await page.waitForTimeout(200);
    const foreign = await page.evaluate(() => Array.from(document.querySelectorAll(
        'img, svg, iframe, object, embed, frame, form, link, base, script:not([nonce]):not(#lk-data)'),
        (e) => e.tagName).concat(Array.from(document.querySelectorAll('*')).flatMap((e) =>
        e.getAttributeNames().filter((a) => a.startsWith('on')).map((a) => e.tagName + '@' + a))));
    check(foreign.length === 0, `${name}: no element or handler from the data` +
          (foreign.length ? ': ' + foreign.join(' ') : ''));
    const links = await page.evaluate(() => Array.from(document.querySelectorAll('a[href]'),
        (a) => a.getAttribute('href')).filter((h) => !/^(#|https?:\/\/)/i.test(h)));
    check(links.length === 0, `${name}: every link is a fragment or http(s)` +
          (links.length ? ': ' + links.join(' ') : ''));

    check(errors.length === 0, `${name}: no console errors` + (errors.length ? ': ' + errors.join(' | ') : ''));
    check(outside.length === 0, `${name}: no request leaves file://` + (outside.length ? ': ' + outside.join(' ') : ''));
    await context.close();
}

(async () => {
    const browser = await chromium.launch({
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    try {
        for (const r of reports) {
            const eq = r.indexOf('=');
            await openReport(browser, r.slice(0, eq), r.slice(eq + 1));
        }
    } catch (e) {
        failed++;
        console.log('FAIL ' + (e && e.stack ? e.stack : e));
    } finally {
        await browser.close();
    }
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
})();
