// The search page in a real browser: Debian's chromium driven by
// playwright-core, against a running `lede serve` whose index holds the
// fixture of tests/web_check.py (25 "market report" articles over
// 2015-2023, among others).
//
//   node tests/browser/search.mjs http://127.0.0.1:PORT/
//   (or LEDE_URL=... node tests/browser/search.mjs)
//
// Searches as a person would (type, Enter), checks the highlighted
// snippets, the result count, the next page, newest first, an article
// and the way back, the page without JavaScript, and a phone-sized
// screen; fails on any console error, uncaught exception or CSP
// violation. Screenshots go to build/artifacts/. Last line:
// "browser: N passed, N failed".
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const base = (process.argv[2] || process.env.LEDE_URL || '').replace(/\/?$/, '/');
if (base === '/') {
	console.error('usage: node search.mjs http://127.0.0.1:PORT/');
	console.log('browser: 0 passed, 1 failed');
	process.exit(1);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.resolve(here, '../../build/artifacts');
mkdirSync(artifacts, { recursive: true });

const QUERY = 'market report';
const WAIT = 10000;
let pass = 0, fail = 0;
const problems = [];      // console errors, page errors, CSP violations

async function step(name, fn) {
	try {
		await fn();
		pass++;
		console.log(`ok ${name}`);
	} catch (e) {
		fail++;
		console.log(`FAIL ${name}: ${String(e && e.message || e).split('\n').slice(0, 6).join('\n    ')}`);
	}
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }

// What the results list shows: each hit's link, its date, its number.
async function hits(page) {
	return page.$$eval('li.hit', (lis) => lis.map((li) => {
		const a = li.querySelector('a.title');
		const t = li.querySelector('time');
		const when = t ? (t.getAttribute('datetime') || t.textContent) : '';
		const m = (when + ' ' + li.textContent).match(/\d{4}-\d{2}-\d{2}/);
		const ol = li.closest('ol');
		return {
			href: a ? a.getAttribute('href') : null,
			title: a ? a.textContent.trim() : '',
			date: m ? m[0] : '',
			value: li.getAttribute('value'),
			start: ol ? ol.getAttribute('start') : null,
		};
	}));
}
const firstHref = async (page) => (await hits(page))[0]?.href ?? null;
// Wait until the first hit is another than `before` (the list was
// replaced, by a reload or by the script).
async function listChanged(page, before) {
	await page.waitForFunction((b) => {
		const a = document.querySelector('li.hit a.title');
		return a && a.getAttribute('href') !== b;
	}, before, { timeout: WAIT });
}
function watch(page, label) {
	page.on('console', (m) => {
		if (m.type() === 'error' || /Content Security Policy/i.test(m.text()))
			problems.push(`${label} console ${m.type()}: ${m.text()}`);
	});
	page.on('pageerror', (e) => problems.push(`${label} page error: ${e.message}`));
	page.on('response', (r) => {
		if (r.status() >= 400 && r.status() !== 404)
			problems.push(`${label} HTTP ${r.status()} for ${r.url()}`);
	});
}

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	args: ['--no-sandbox'],
});
try {
	const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	// CSP violations are also reported to the page as events: pass them
	// out through a binding (init scripts and bindings are not subject
	// to the page's CSP).
	await ctx.exposeBinding('__ledeCsp', (_src, v) => problems.push(`CSP violation: ${v}`));
	await ctx.addInitScript(() => {
		document.addEventListener('securitypolicyviolation', (e) => {
			window.__ledeCsp(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
		});
	});
	const page = await ctx.newPage();
	watch(page, 'desktop');

	await step('front page loads', async () => {
		const r = await page.goto(base, { waitUntil: 'load' });
		assert(r && r.status() === 200, `GET / -> ${r && r.status()}`);
		await page.waitForSelector('form#search input#q', { timeout: WAIT });
	});
	await step('the search box has the focus', async () => {
		const id = await page.evaluate(() => document.activeElement && document.activeElement.id);
		assert(id === 'q', `focus is on ${JSON.stringify(id)}, not #q`);
	});
	await step('typing a query and Enter shows results', async () => {
		const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
		if (focused !== 'q') await page.click('#q');
		await page.keyboard.type(QUERY);
		await page.keyboard.press('Enter');
		await page.waitForSelector('li.hit', { timeout: WAIT });
		const h = await hits(page);
		assert(h.length === 10, `${h.length} hits on the first page, want 10`);
		assert(h.every((x) => /market report/i.test(x.title)), `titles ${h.map((x) => x.title)}`);
	});
	await step('the address carries the query', async () => {
		const u = new URL(page.url());
		assert(u.searchParams.get('q') === QUERY, `URL ${page.url()}`);
	});
	await step('snippets have highlighted words', async () => {
		const marks = await page.$$eval('li.hit .snippet mark', (ms) => ms.map((m) => ({
			text: m.textContent,
			bg: getComputedStyle(m).backgroundColor,
			weight: getComputedStyle(m).fontWeight,
		})));
		assert(marks.length >= 10, `${marks.length} marks in the snippets`);
		assert(marks.every((m) => /^(market|report)$/i.test(m.text)), `marked ${marks.map((m) => m.text)}`);
		const m = marks[0];
		assert(m.bg !== 'rgba(0, 0, 0, 0)' && m.bg !== 'transparent' || Number(m.weight) >= 600,
			`a mark is not set apart (background ${m.bg}, weight ${m.weight})`);
	});
	await step('#status tells the count and the time', async () => {
		const t = (await page.textContent('#status')).replace(/\s+/g, ' ');
		assert(/\d+ results? \(/.test(t), `#status ${JSON.stringify(t)}`);
		// the 25 market reports and k2's "UN report"
		assert(/\b26 results \(/.test(t), `#status ${JSON.stringify(t)}, want 26 results`);
	});
	await step('desktop screenshot of the results', async () => {
		await page.screenshot({ path: path.join(artifacts, 'results-desktop.png'), fullPage: true });
	});

	let page1 = [];
	await step('next page shows the next results', async () => {
		page1 = await hits(page);
		await page.click('a[rel=next]');
		await listChanged(page, page1[0].href);
		await page.waitForLoadState('load');
		const h = await hits(page);
		assert(h.length === 10, `${h.length} hits on page 2`);
		const seen = new Set(page1.map((x) => x.href));
		assert(h.every((x) => !seen.has(x.href)), 'page 2 repeats page 1');
		const off = new URL(page.url()).searchParams.get('offset');
		assert(off === '10' || h[0].value === '11' || h[0].start === '11',
			`no sign of offset 10: URL ${page.url()}, li value ${h[0].value}, ol start ${h[0].start}`);
	});
	await step('page 2 links back to page 1', async () => {
		assert(await page.$('a[rel=prev]'), 'no a[rel=prev] on page 2');
	});

	await step('newest first orders by date', async () => {
		const before = await firstHref(page);
		const sel = await page.$('select#sort');
		if (sel) await sel.selectOption('date');
		else await page.click('[data-sort="date"]');
		await page.waitForFunction((b) => {
			const a = document.querySelector('li.hit a.title');
			return /[?&]sort=date/.test(location.search) || (a && a.getAttribute('href') !== b);
		}, before, { timeout: WAIT });
		await page.waitForLoadState('load');
		await page.waitForTimeout(300);   // let a script's fetch settle
		const h = await hits(page);
		const dates = h.map((x) => x.date);
		assert(h.length > 1, `${h.length} hits`);
		assert(dates.every((d) => d), `a hit without a visible date: ${JSON.stringify(dates)}`);
		const sorted = [...dates].sort().reverse();
		assert(JSON.stringify(dates) === JSON.stringify(sorted), `dates not newest first: ${dates}`);
	});

	let back = null;
	await step('an article opens with its headline and highlights', async () => {
		back = page.url();
		const a = page.locator('li.hit a.title').first();
		const title = (await a.textContent()).trim();
		await a.click();
		await page.waitForSelector('article#article h1', { timeout: WAIT });
		const h1 = (await page.textContent('article#article h1')).trim();
		assert(h1 === title, `h1 ${JSON.stringify(h1)}, link said ${JSON.stringify(title)}`);
		const marks = await page.$$eval('article#article mark', (ms) => ms.map((m) => m.textContent));
		assert(marks.length > 0 && marks.every((m) => /^(market|report)$/i.test(m)), `article marks ${marks}`);
		assert(await page.$('a#back'), 'no a#back on the article');
	});
	await step('article screenshot', async () => {
		await page.screenshot({ path: path.join(artifacts, 'article-desktop.png'), fullPage: true });
	});
	await step('Back returns to the results', async () => {
		await page.goBack();
		await page.waitForSelector('li.hit', { timeout: WAIT });
		const h = await hits(page);
		assert(h.length > 0, 'no results after Back');
		assert(page.url() === back, `back at ${page.url()}, left ${back}`);
	});

	await step('a timeline bar narrows the dates', async () => {
		const bar = page.locator('#timeline a.bar').first();
		const href = await bar.getAttribute('href');
		const u = new URL(href, base);
		const from = u.searchParams.get('from'), to = u.searchParams.get('to');
		assert(from && to, `bar link ${href}`);
		const before = await firstHref(page);
		await bar.click();
		await page.waitForFunction(([f, b]) => {
			const a = document.querySelector('li.hit a.title');
			return new URLSearchParams(location.search).get('from') === f || (a && a.getAttribute('href') !== b);
		}, [from, before], { timeout: WAIT });
		await page.waitForLoadState('load');
		await page.waitForTimeout(300);
		const h = await hits(page);
		assert(h.length > 0, 'no hits in the bar\'s range');
		const lo = from.padEnd(10, '-00'), hi = to.length === 10 ? to : to + '-99';
		assert(h.every((x) => x.date >= lo && x.date <= hi), `dates ${h.map((x) => x.date)} outside ${from}..${to}`);
	});

	await step('phone: results fit the screen', async () => {
		const phone = await browser.newContext({
			viewport: { width: 390, height: 844 }, deviceScaleFactor: 2,
			isMobile: true, hasTouch: true,
		});
		const p = await phone.newPage();
		watch(p, 'phone');
		await p.goto(`${base}?q=${encodeURIComponent(QUERY)}`, { waitUntil: 'load' });
		await p.waitForSelector('li.hit', { timeout: WAIT });
		await p.screenshot({ path: path.join(artifacts, 'results-phone.png'), fullPage: true });
		const w = await p.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
		assert(w[0] <= w[1] + 1, `the page is ${w[0]} px wide on a ${w[1]} px screen`);
		const box = await p.locator('#q').boundingBox();
		assert(box && box.x >= 0 && box.x + box.width <= 391, `search box at ${JSON.stringify(box)}`);
		await phone.close();
	});

	await step('without JavaScript: the form searches and renders results', async () => {
		const nojs = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 800 } });
		const p = await nojs.newPage();
		watch(p, 'no-js');
		await p.goto(base, { waitUntil: 'load' });
		await p.fill('#q', 'pegasus');
		await Promise.all([p.waitForNavigation({ timeout: WAIT }), p.press('#q', 'Enter')]);
		const n = await p.locator('li.hit').count();
		assert(n === 2, `${n} hits for pegasus without JavaScript, want 2`);
		assert(await p.locator('li.hit .snippet mark').count() > 0, 'no marks without JavaScript');
		await nojs.close();
	});

	await step('no console errors, page errors or CSP violations', async () => {
		assert(problems.length === 0, problems.slice(0, 8).join('\n'));
	});
} catch (e) {
	fail++;
	console.log(`FAIL the browser run stopped: ${e && e.message}`);
} finally {
	await browser.close();
}
console.log(`screenshots in ${artifacts}`);
console.log(`browser: ${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);
