/*
 * lede.js - progressive enhancement of the server-rendered search page.
 *
 * Without this script every page works: the form, the sort toggle, the
 * timeline bars and the page links are plain GET links to /?q=...
 * With it, those same links and the form are answered from
 * /api/search and only the results region (#results) is re-rendered;
 * the address bar follows with history.pushState, so Back, Forward,
 * reload and sharing behave as without the script.
 *
 * The DOM built here is the DOM web/page.c writes (ids, classes, link
 * query strings in the order q, sort, from, to, n, offset), so one
 * stylesheet serves both; a change to one must be made in the other.
 *
 * Safety: the server's Content-Security-Policy allows this file and
 * nothing inline. Untrusted strings (titles, snippets, URLs, messages)
 * only ever reach the page as text nodes or attribute values set with
 * setAttribute; no markup is ever parsed from a string, nothing is
 * evaluated. Only http(s) URLs become links.
 */
'use strict';

(() => {
	const DEFAULT_N = 10;       /* WEB_DEFAULT_N in page.c */
	const MAX_K = 10000;        /* SRCH_MAX_K: offset + n at most */
	const PAGE_SPAN = 2;        /* page numbers either side */
	const BAR_LEVELS = 20;      /* .h0 .. .h20 in lede.css */
	const BAR_LABELS = 6;       /* bar labels shown at most */
	const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul',
		'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

	const $ = (sel, root = document) => root.querySelector(sel);
	const form = $('#search');
	const input = $('#q');

	/* "/" jumps to the search box from anywhere but a text field. */
	document.addEventListener('keydown', (e) => {
		if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey ||
		    e.defaultPrevented || !input)
			return;
		const t = e.target;
		if (t instanceof Element &&
		    (t.closest('input, textarea, select, [contenteditable]') ||
		     t.isContentEditable))
			return;
		e.preventDefault();
		input.focus();
		input.select();
	});

	/* Article page: "Back to results" returns to the very page the
	 * reader came from (filters, page and scroll kept) when it is ours. */
	const back = $('#back');
	if (back) {
		back.addEventListener('click', (e) => {
			if (e.button !== 0 || e.ctrlKey || e.metaKey ||
			    e.shiftKey || e.altKey || history.length < 2)
				return;
			let ref;
			try {
				ref = new URL(document.referrer);
			} catch {
				return;
			}
			if (ref.origin === location.origin && ref.pathname === '/' &&
			    ref.searchParams.get('q')) {
				e.preventDefault();
				history.back();
			}
		});
	}

	const results = $('#results');
	if (!form || !input || !results || !window.fetch || !window.history ||
	    !history.pushState)
		return;   /* not the search page, or an old browser */

	const live = $('#live');
	const fromIn = $('#from');
	const toIn = $('#to');
	const toggle = $('#sort-toggle');
	const tagline = $('.tagline');
	const front = document.body.classList.contains('front');
	/* The front page's intro, to put back when Back returns to it. */
	const intro = front ? [...results.childNodes].map((n) =>
		n.cloneNode(true)) : null;
	const frontTitle = document.title;

	/* ---- small helpers ---- */

	function el(tag, attrs, ...kids) {
		const e = document.createElement(tag);
		for (const [k, v] of Object.entries(attrs || {})) {
			if (v === null || v === undefined || v === false)
				continue;
			e.setAttribute(k, v === true ? '' : String(v));
		}
		for (const k of kids)
			if (k !== null && k !== undefined && k !== false && k !== '')
				e.append(k);   /* strings become text nodes */
		return e;
	}

	/* Percent-encoding as page.c's web_urlenc: all but A-Z a-z 0-9 - . _ ~ */
	function enc(s) {
		s = String(s);
		if (s.toWellFormed)
			s = s.toWellFormed();
		return encodeURIComponent(s).replace(/[!'()*]/g,
			(c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
	}

	function count(n) {
		n = Number(n);
		if (!Number.isFinite(n) || n < 0)
			n = 0;
		return Math.floor(n).toLocaleString('en-US');
	}

	function plural(n, one, many) {
		return Number(n) === 1 ? one : many;
	}

	/* ---- state and URLs ---- */

	/* What a page shows: the same fields as its URL. sort is '' when
	 * the URL says none (the query's own sort: decides). */
	function stateFrom(search) {
		const p = new URLSearchParams(search);
		const sort = p.get('sort');
		const n = parseInt(p.get('n'), 10);
		const off = parseInt(p.get('offset'), 10);
		return {
			q: p.get('q') ?? '',
			sort: sort === 'date' || sort === 'relevance' ? sort : '',
			from: p.get('from') || '',
			to: p.get('to') || '',
			n: n > 0 ? Math.min(n, MAX_K) : DEFAULT_N,
			offset: off > 0 ? Math.min(off, MAX_K) : 0,
		};
	}

	function queryString(st) {
		let s = 'q=' + enc(st.q);
		if (st.sort)
			s += '&sort=' + st.sort;
		if (st.from)
			s += '&from=' + enc(st.from);
		if (st.to)
			s += '&to=' + enc(st.to);
		if (st.n && st.n !== DEFAULT_N)
			s += '&n=' + st.n;
		if (st.offset)
			s += '&offset=' + st.offset;
		return s;
	}

	const pageUrl = (st) => '/?' + queryString(st);

	function apiUrl(st) {
		let s = '/api/search?' + queryString({ ...st, n: 0, offset: 0 });
		s += '&n=' + (st.n || DEFAULT_N) + '&offset=' + (st.offset || 0);
		return s;
	}

	/* The state the form stands for, from its fields. */
	function formState() {
		const hs = form.querySelector('input[type="hidden"][name="sort"]');
		return {
			q: input.value,
			sort: hs && hs.value === 'date' ? 'date' : '',
			from: fromIn ? fromIn.value : '',
			to: toIn ? toIn.value : '',
			n: shown.n,
			offset: 0,
		};
	}

	let shown = stateFrom(location.search);

	/* ---- dates and hosts, as page.c shows them ---- */

	function daysIn(y, m) {
		const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
		return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
			31][m - 1];
	}

	function parseDate(d) {
		const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(d || '');
		if (!m)
			return null;
		const y = +m[1], mo = +m[2], day = +m[3];
		if (mo < 1 || mo > 12 || day < 1 || day > daysIn(y, mo))
			return null;
		return { ys: m[1], mo, day };
	}

	/* <input type="date"> takes full dates only: "2019" shows as its
	 * first (from) or last (to) day, as page.c's w_date_value. */
	function dateValue(d, isTo) {
		if (parseDate(d))
			return d;
		let m = /^(\d{4})$/.exec(d || '');
		if (m)
			return d + (isTo ? '-12-31' : '-01-01');
		m = /^(\d{4})-(\d{2})$/.exec(d || '');
		if (m && +m[2] >= 1 && +m[2] <= 12) {
			const day = isTo ? daysIn(+m[1], +m[2]) : 1;
			return d + '-' + String(day).padStart(2, '0');
		}
		return '';
	}

	function dateNode(d) {
		const p = parseDate(d);
		if (!p)
			return el('span', { class: 'date' }, d);
		return el('time', { datetime: d },
			`${MONTHS[p.mo - 1]} ${p.day}, ${p.ys}`);
	}

	/* The host of an http(s) URL, or '' (never a link then). */
	function urlHost(u) {
		const m = /^https?:\/\/([^/?#]*)/i.exec(u || '');
		if (!m)
			return '';
		let h = m[1];
		const at = h.lastIndexOf('@');
		if (at >= 0)
			h = h.slice(at + 1);
		if (h.length > 4 && /^www\./i.test(h))
			h = h.slice(4);
		return h;
	}

	/* The snippet with its highlights. The API gives byte offsets into
	 * the UTF-8 snippet, so the cuts are made on its bytes; bad spans
	 * are clipped or skipped, as page.c does. */
	const te = new TextEncoder();
	const td = new TextDecoder();
	function marked(text, spans) {
		const b = te.encode(String(text ?? ''));
		const out = [];
		let at = 0;
		for (const sp of Array.isArray(spans) ? spans : []) {
			if (!Array.isArray(sp) || sp.length < 2)
				continue;
			let s = sp[0], e = sp[1];
			if (!Number.isInteger(s) || !Number.isInteger(e))
				continue;
			if (s >= b.length)
				break;
			s = Math.max(s, at);
			e = Math.min(e, b.length);
			if (s >= e)
				continue;
			out.push(td.decode(b.subarray(at, s)),
				el('mark', null, td.decode(b.subarray(s, e))));
			at = e;
		}
		out.push(td.decode(b.subarray(at)));
		return out;
	}

	/* ---- the results region, as page.c's w_results ---- */

	function statusText(data) {
		const ms = Number(data.took_ms);
		const t = !(ms >= 0) ? '0.0' : ms < 10 ? ms.toFixed(1) :
			Math.min(ms, 1e9).toFixed(0);
		return `${count(data.total)} ${plural(data.total, 'result',
			'results')} (${t} ms)`;
	}

	function heading() {
		return el('h2', { id: 'results-heading', class: 'visually-hidden',
			tabindex: '-1' }, 'Search results');
	}

	function timeline(bars, cur) {
		if (!Array.isArray(bars) || bars.length === 0)
			return null;
		let max = 0;
		for (const b of bars)
			max = Math.max(max, Number(b.count) || 0);
		const step = Math.ceil(bars.length / BAR_LABELS);
		const monthly = String(bars[0].label ?? '').length > 4;
		const ol = el('ol', { class: 'bars' });
		bars.forEach((b, i) => {
			const n = Number(b.count) || 0;
			const level = n && max ? Math.min(BAR_LEVELS,
				Math.ceil(BAR_LEVELS * n / max)) : 0;
			const from = String(b.from ?? ''), to = String(b.to ?? '');
			const label = String(b.label ?? '');
			const what = `${label}: ${count(n)} ${plural(n, 'match',
				'matches')}`;
			ol.append(el('li', null, el('a', {
				class: i % step ? 'bar minor' : 'bar',
				href: pageUrl({ ...cur, from, to, offset: 0 }),
				'aria-current': from && from === cur.from &&
					to === cur.to ? 'true' : null,
				'aria-label': what,
				title: what,
			}, el('span', { class: 'col' },
				el('span', { class: 'fill h' + level })),
			el('span', { class: 'lbl', 'aria-hidden': 'true' }, label))));
		});
		return el('section', { id: 'timeline', class: 'timeline',
			'aria-labelledby': 'timeline-heading' },
		el('h3', { id: 'timeline-heading' },
			'Matches by ' + (monthly ? 'month' : 'year')), ol);
	}

	function hit(h, cur) {
		const id = String(h.id ?? ''), title = String(h.title ?? '');
		const date = typeof h.date === 'string' ? h.date : '';
		const url = String(h.url ?? '');
		const host = urlHost(url);
		let meta = null;
		if (date || host) {
			meta = el('p', { class: 'meta' }, date ? dateNode(date) : null,
				host ? el('a', { class: 'source', href: url,
					rel: 'noopener noreferrer' }, host) : null);
		}
		const href = '/article/' + enc(id) + (cur.q ? '?q=' + enc(cur.q) : '');
		return el('li', { class: 'hit' },
			el('h3', null, el('a', { class: title ? 'title' :
				'title untitled', href }, title || id)),
			meta,
			el('p', { class: 'snippet' }, ...marked(h.snippet, h.highlights)));
	}

	function pages(data, cur) {
		const n = cur.n;
		const off = Math.min(cur.offset, MAX_K);
		const total = Math.max(0, Number(data.total) || 0);
		const npages = Math.ceil(total / n);
		const reach = Math.floor(MAX_K / n);
		const curp = Math.floor(off / n) + 1;
		const prev = off > 0;
		const next = off + n < total && off + 2 * n <= MAX_K;
		const last = Math.max(Math.min(npages, reach), curp);
		if (total === 0 || (!prev && !next && last <= 1))
			return null;
		const nav = el('nav', { id: 'pages', class: 'pages',
			'aria-label': 'Pages' });
		const num = (p) => el('a', { class: 'num',
			href: pageUrl({ ...cur, offset: (p - 1) * n }),
			'aria-current': p === curp ? 'page' : null,
			'aria-label': 'Page ' + p }, String(p));
		const gap = () => el('span', { class: 'gap', 'aria-hidden': 'true' },
			'\u2026');
		if (prev)
			nav.append(el('a', { rel: 'prev', href: pageUrl({ ...cur,
				offset: Math.max(0, off - n) }) },
			el('span', { 'aria-hidden': 'true' }, '\u2039'), ' Previous'));
		let lo = curp > PAGE_SPAN + 2 ? curp - PAGE_SPAN : 2;
		let hi = curp + PAGE_SPAN < last ? curp + PAGE_SPAN : last - 1;
		if (lo === 3)
			lo = 2;
		if (hi + 2 === last)
			hi = last - 1;
		nav.append(num(1));
		if (lo > 2)
			nav.append(gap());
		for (let p = lo; p <= hi; p++)
			nav.append(num(p));
		if (hi + 1 < last)
			nav.append(gap());
		if (last > 1)
			nav.append(num(last));
		if (next)
			nav.append(el('a', { rel: 'next', href: pageUrl({ ...cur,
				offset: off + n }) }, 'Next ',
			el('span', { 'aria-hidden': 'true' }, '\u203a')));
		return nav;
	}

	function empty(data, cur) {
		const box = el('div', { class: 'empty', id: 'empty' });
		if (Number(data.total) > 0) {
			box.append(el('h2', null, 'No more results'),
				el('p', null, `There are ${count(data.total)} ${plural(
					data.total, 'result', 'results')} on earlier pages. `,
				el('a', { href: pageUrl({ ...cur, offset: 0 }) },
					'Go to the first page'), '.'));
			return box;
		}
		const tips = el('ul', null,
			el('li', null, 'Try fewer words, or more general ones.'),
			el('li', null, 'Check the spelling, or search a prefix: ',
				el('code', null, 'sanction*'), '.'),
			el('li', null, 'Drop ', el('code', null, 'title:'), ', ',
				el('code', null, '-word'), ', quotes or ',
				el('code', null, 'from:'), '/', el('code', null, 'to:'),
				' from the query.'));
		if (cur.from || cur.to)
			tips.append(el('li', null, 'Remove the date filter: ',
				el('a', { href: pageUrl({ ...cur, from: '', to: '',
					offset: 0 }) }, 'search all dates'), '.'));
		box.append(el('h2', null, 'No articles match ', el('q', null, cur.q)),
			tips);
		return box;
	}

	function render(data, st) {
		const n = Number.isInteger(data.n) && data.n > 0 ? data.n : st.n;
		const off = Number.isInteger(data.offset) && data.offset >= 0 ?
			data.offset : st.offset;
		/* Links carry the sort applied, as the server's do. */
		const cur = { ...st, sort: data.sort === 'date' ? 'date' :
			'relevance', n, offset: off };
		const hits = Array.isArray(data.hits) ? data.hits : [];
		let list = null;
		if (hits.length) {
			list = el('ol', { id: 'hits', class: 'hits', start: off + 1 });
			for (const h of hits)
				if (h && typeof h === 'object')
					list.append(hit(h, cur));
		}
		results.replaceChildren(heading(),
			el('p', { id: 'status', class: 'status' }, statusText(data)),
			...[timeline(data.timeline, cur), list || empty(data, cur),
				pages(data, cur)].filter(Boolean));
		return cur;
	}

	function renderError(msg) {
		results.replaceChildren(heading(),
			el('div', { class: 'alert', role: 'alert' }, msg));
	}

	/* ---- the form, kept in step with what is shown ---- */

	function setHidden(name, value) {
		let h = form.querySelector(`input[type="hidden"][name="${name}"]`);
		if (value === null) {
			if (h)
				h.remove();
			return;
		}
		if (!h) {
			h = el('input', { type: 'hidden', name });
			(toggle || input).after(h);
		}
		h.value = value;
	}

	function syncForm(st, applied) {
		if (input.value !== st.q)
			input.value = st.q;
		const sort = applied || st.sort || 'relevance';
		if (toggle) {
			for (const a of toggle.querySelectorAll('a[data-sort]')) {
				const s = a.dataset.sort;
				a.setAttribute('href', pageUrl({ ...st, sort: s,
					offset: 0 }));
				if (s === sort)
					a.setAttribute('aria-current', 'true');
				else
					a.removeAttribute('aria-current');
			}
		}
		/* As page.c: only a non-default sort travels with the form. */
		setHidden('sort', sort === 'date' ? 'date' : null);
		setHidden('n', st.n !== DEFAULT_N ? String(st.n) : null);
		if (fromIn)
			fromIn.value = dateValue(st.from, false);
		if (toIn)
			toIn.value = dateValue(st.to, true);
		const dates = fromIn && fromIn.closest('.dates');
		let clear = dates && dates.querySelector('.clear');
		if (dates && (st.from || st.to)) {
			if (!clear) {
				clear = el('a', { class: 'clear' }, 'Any date');
				dates.append(' ', clear);
			}
			clear.setAttribute('href', pageUrl({ ...st, sort: sort,
				from: '', to: '', offset: 0 }));
		} else if (clear) {
			clear.remove();
		}
	}

	function announce(msg) {
		if (!live)
			return;
		/* Emptied first so that the same count twice is still read. */
		live.textContent = '';
		setTimeout(() => { live.textContent = msg; }, 100);
	}

	let inflight = null;
	let seq = 0;   /* the latest go(); older answers are dropped */

	function showFront() {
		/* A search still on its way must not land on the front page. */
		seq++;
		if (inflight)
			inflight.abort();
		inflight = null;
		results.removeAttribute('aria-busy');
		if (!intro) {
			location.reload();
			return;
		}
		results.replaceChildren(...intro.map((n) => n.cloneNode(true)));
		document.body.classList.add('front');
		if (tagline)
			tagline.hidden = false;
		document.title = frontTitle;
		shown = stateFrom('');
		syncForm(shown, '');
	}

	/* ---- searching ---- */

	/*
	 * Show state st: fetch it, re-render #results, update the address
	 * (push: a new history entry; else the entry is the one the
	 * browser already moved to) and put focus where it helps:
	 * 'results' moves it to the results heading (paging), anything
	 * else leaves it where it is (the search box, a toggle).
	 */
	async function go(st, { push = true, focus = 'keep' } = {}) {
		const url = pageUrl(st);
		const my = ++seq;
		if (inflight)
			inflight.abort();
		inflight = new AbortController();
		shown = st;
		syncForm(st, st.sort);
		results.setAttribute('aria-busy', 'true');
		let res, data;
		try {
			res = await fetch(apiUrl(st), { signal: inflight.signal,
				headers: { Accept: 'application/json' } });
			data = await res.json();
		} catch (e) {
			if (e && e.name === 'AbortError')
				return;
			/* No answer or not JSON: let the server render it. */
			location.assign(url);
			return;
		}
		if (my !== seq)
			return;
		inflight = null;
		results.removeAttribute('aria-busy');
		if (push && url !== location.pathname + location.search)
			history.pushState(null, '', url);
		document.body.classList.remove('front');
		if (tagline)
			tagline.hidden = true;
		document.title = st.q + ' \u2013 lede';
		if (!res.ok || !data || typeof data !== 'object' || data.error) {
			const msg = data && typeof data.error === 'string' &&
				data.error ? data.error :
				`The search failed (HTTP ${res.status}).`;
			renderError(msg);
			shown = st;
			announce(msg);
		} else {
			const cur = render(data, st);
			shown = { ...st, n: cur.n, offset: cur.offset };
			syncForm(shown, cur.sort);
			announce(Array.isArray(data.hits) && data.hits.length ?
				statusText(data).replace(/ \(.*\)$/, '') :
				Number(data.total) > 0 ? 'No more results' :
				'No articles match');
		}
		if (focus === 'results') {
			const h = $('#results-heading');
			if (h)
				h.focus({ preventScroll: true });
			if (results.getBoundingClientRect().top < 0)
				results.scrollIntoView({ block: 'start' });
		}
	}

	form.addEventListener('submit', (e) => {
		if (!input.value.trim())
			return;   /* the front page, by a normal load */
		e.preventDefault();
		go(formState(), { focus: 'keep' });
	});

	for (const d of [fromIn, toIn]) {
		if (!d)
			continue;
		d.addEventListener('change', () => {
			/* A date being typed is '' until complete: wait. */
			if (d.validity && d.validity.badInput)
				return;
			if (!input.value.trim()) {
				syncForm({ ...formState() }, shown.sort);
				return;
			}
			go({ ...formState(), sort: shown.sort }, { focus: 'keep' });
		});
	}

	/* Every link to the search page (toggle, bars, pages, examples,
	 * "Any date") is answered in place; a click with a modifier key
	 * keeps its usual meaning (new tab, new window). */
	document.addEventListener('click', (e) => {
		if (e.defaultPrevented || e.button !== 0 || e.ctrlKey ||
		    e.metaKey || e.shiftKey || e.altKey)
			return;
		const a = e.target instanceof Element && e.target.closest('a[href]');
		if (!a || (a.target && a.target !== '_self') || a.hasAttribute('download'))
			return;
		let u;
		try {
			u = new URL(a.href, location.href);
		} catch {
			return;
		}
		if (u.origin !== location.origin || u.pathname !== '/' ||
		    !u.searchParams.has('q'))
			return;
		/* A link within this page (the skip link) is the browser's. */
		if (u.hash && u.search === location.search)
			return;
		e.preventDefault();
		const st = stateFrom(u.search);
		if (!st.q.trim()) {
			/* Nothing to search yet: a choice for the next search. */
			syncForm({ ...formState(), sort: st.sort, from: st.from,
				to: st.to }, st.sort);
			return;
		}
		const inToggle = toggle && toggle.contains(a);
		go(st, { focus: inToggle ? 'keep' : 'results' });
	});

	window.addEventListener('popstate', () => {
		const st = stateFrom(location.search);
		if (!st.q) {
			showFront();
			return;
		}
		/* Only the #fragment moved (the skip link): nothing to fetch. */
		if (queryString(st) === queryString(shown))
			return;
		go(st, { push: false, focus: 'keep' });
	});
})();
