/*
 * The page of `hindsight serve` (docs/SERVE.md): plain JavaScript over the
 * server's JSON API, no library, no network beyond the server. Views are
 * chosen by the URL hash (#agent=ship/Gloria, #causes=123, #live,
 * #machines) so that each one can be linked to. Everything the log holds is
 * put into the page as text (textContent), never as HTML.
 */
'use strict';

(function () {

const HISTORY_PAGE = 200;  /* transitions a timeline page asks for */
const AGENT_PAGE = 50;     /* agents a search page asks for */
const LIVE_CAP = 300;      /* rows the live tail keeps */
const CAUSE_SCAN = 100000; /* records /api/causes reads for effects */

const $ = (id) => document.getElementById(id);

/* ---------------------------------------------------------------- */
/* Values                                                             */
/* ---------------------------------------------------------------- */

/* An integer JSON number that a double cannot hold, kept as its text. */
class BigNum {
	constructor(text) { this.text = text; }
}

/* JSON.parse that keeps integers beyond 2^53 exact (as BigNum) where the
 * browser gives the reviver the number's source text. */
function parseJSON(text)
{
	return JSON.parse(text, function (key, value, ctx) {
		if (typeof value === 'number' && !Number.isSafeInteger(value) &&
		    Number.isInteger(value) && ctx &&
		    typeof ctx.source === 'string' &&
		    /^-?\d+$/.test(ctx.source))
			return new BigNum(ctx.source);
		return value;
	});
}

/* A value as compact JSON text (BigNum as its digits). */
function show(v)
{
	if (v instanceof BigNum)
		return v.text;
	if (v === undefined)
		return '';
	if (v === null || typeof v !== 'object')
		return JSON.stringify(v);
	if (Array.isArray(v))
		return '[' + v.map(show).join(',') + ']';
	return '{' + Object.keys(v).map((k) =>
		JSON.stringify(k) + ':' + show(v[k])).join(',') + '}';
}

function isMap(v)
{
	return v !== null && typeof v === 'object' && !Array.isArray(v) &&
	       !(v instanceof BigNum);
}

/* Leaves of a state as [path, value]: maps are walked key by key (paths
 * joined with '.', as hs_json_diff writes them), anything else is a leaf;
 * an empty map is a leaf too. */
function leaves(v, prefix, out)
{
	if (isMap(v) && Object.keys(v).length) {
		for (const k of Object.keys(v))
			leaves(v[k], prefix === '' ? k : prefix + '.' + k, out);
	} else if (prefix !== '') {
		out.push([prefix, v]);
	}
	return out;
}

/* ---------------------------------------------------------------- */
/* Times: the API gives time_ns as a string; BigInt keeps it exact.    */
/* ---------------------------------------------------------------- */

const NS = 1000000000n;

/* RFC 3339 UTC with nanoseconds, as the CLI prints times. */
function fmtNs(ns)
{
	let s = ns / NS, f = ns % NS;
	if (f < 0n) {
		f += NS;
		s -= 1n;
	}
	const d = new Date(Number(s) * 1000);
	if (isNaN(d.getTime()))
		return ns.toString() + ' ns';
	return d.toISOString().slice(0, 19) + '.' +
	       f.toString().padStart(9, '0') + 'Z';
}

/* RFC 3339 or integer nanoseconds to BigInt ns; null if neither. */
function parseTime(text)
{
	text = text.trim();
	if (/^-?\d+$/.test(text))
		return BigInt(text);
	const m = /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?([Zz]|[+-]\d\d:\d\d)$/.exec(text);
	if (!m)
		return null;
	const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
	if (isNaN(ms))
		return null;
	let ns = BigInt(ms) * 1000000n + BigInt((m[7] || '').padEnd(9, '0'));
	if (m[8] !== 'Z' && m[8] !== 'z') {
		const sign = m[8][0] === '-' ? -1n : 1n;
		const off = BigInt(+m[8].slice(1, 3) * 60 + +m[8].slice(4, 6));
		ns -= sign * off * 60n * NS;
	}
	return ns;
}

/* ---------------------------------------------------------------- */
/* The API and the error bar                                          */
/* ---------------------------------------------------------------- */

class ApiError extends Error {
	constructor(message, status) {
		super(message);
		this.status = status;
	}
}

async function api(path)
{
	let res, text;
	try {
		res = await fetch(path, {headers: {Accept: 'application/json'}});
		text = await res.text();
	} catch (e) {
		throw new ApiError(path + ': the server does not answer (' +
				   e.message + ')', 0);
	}
	let body;
	try {
		body = parseJSON(text);
	} catch (e) {
		body = undefined;
	}
	if (!res.ok) {
		const why = body && typeof body.error === 'string' ?
			body.error : text.slice(0, 200) || res.statusText;
		throw new ApiError(path + ': ' + res.status + ' ' + why,
				   res.status);
	}
	if (body === undefined)
		throw new ApiError(path + ': the answer is not JSON', res.status);
	return body;
}

function showError(e)
{
	const msg = e instanceof Error ? e.message : String(e);
	$('error-text').textContent = msg;
	$('error').hidden = false;
	if (!(e instanceof ApiError))
		console.error(e);
}

function clearError()
{
	$('error').hidden = true;
	$('error-text').textContent = '';
}

/* ---------------------------------------------------------------- */
/* Small DOM helpers                                                  */
/* ---------------------------------------------------------------- */

/* el('span', {class: 'k', 'data-path': p}, 'text', child, ...) */
function el(tag, attrs, ...kids)
{
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false)
			continue;
		if (k === 'class')
			e.className = v;
		else if (k === 'text')
			e.textContent = v;
		else if (k.startsWith('on'))
			e.addEventListener(k.slice(2), v);
		else
			e.setAttribute(k, v === true ? '' : v);
	}
	for (const kid of kids) {
		if (kid === null || kid === undefined || kid === false)
			continue;
		e.append(kid instanceof Node ? kid : String(kid));
	}
	return e;
}

/* A hash value: encoded, but with '/' kept readable (ship/Gloria). */
function enc(v)
{
	return encodeURIComponent(v).replace(/%2F/gi, '/');
}

function agentName(r)
{
	return r.type + '/' + r.id;
}

function agentHref(agent, seq)
{
	return '#agent=' + enc(agent) + (seq ? '&seq=' + seq : '');
}

function causeText(cause)
{
	return 'caused by ' + agentName(cause) + ' #' + cause.seq +
	       ' (gseq ' + cause.gseq + ')';
}

/* A state as a list of fields, those the diff names highlighted: added
 * and changed fields marked, removed ones struck through at the end. */
function renderState(state, diff, cls)
{
	const box = el('div', {class: 'state ' + (cls || '')});
	if (!isMap(state)) {
		box.append(el('span', {class: 'f', 'data-path': ''},
			      el('span', {class: 'v', text: show(state)})));
		return box;
	}
	const changed = new Map();
	for (const d of diff || [])
		changed.set(d.path, d);
	const hit = (path) => {
		if (changed.has(path))
			return changed.get(path);
		for (let i = path.lastIndexOf('.'); i > 0;
		     i = path.lastIndexOf('.', i - 1)) {
			if (changed.has(path.slice(0, i)))
				return changed.get(path.slice(0, i));
		}
		return null;
	};
	const seen = new Set();
	for (const [path, v] of leaves(state, '', [])) {
		const d = hit(path);
		const f = el('span', {class: 'f', 'data-path': path},
			     el('span', {class: 'k', text: path}),
			     el('span', {class: 'v', text: show(v)}));
		if (d) {
			seen.add(d.path);
			f.classList.add('old' in d ? 'changed' : 'added');
			f.title = 'old' in d ? 'was ' + show(d.old) : 'added';
		}
		box.append(f);
	}
	for (const d of diff || []) {
		if (seen.has(d.path) || 'new' in d)
			continue;
		box.append(el('span', {class: 'f removed', 'data-path': d.path,
				       title: 'removed'},
			      el('span', {class: 'k', text: d.path}),
			      el('span', {class: 'v', text: show(d.old)})));
	}
	if (!box.childNodes.length)
		box.append(el('span', {class: 'empty', text: '(empty)'}));
	return box;
}

/* ---------------------------------------------------------------- */
/* Stats, header and overview                                         */
/* ---------------------------------------------------------------- */

const S = {
	stats: null,
	typesLoaded: false,
};

const NEEDS_TYPES = 'States need a types plugin: start the server with ' +
	'hindsight serve DB --types LIB.so.';

async function loadStats()
{
	const st = await api('/api/stats');
	S.stats = st;
	S.typesLoaded = !!st.types_loaded;
	$('stats-line').textContent = st.path + ' · ' + st.records +
		' records · ' + st.agents + ' agents' +
		(S.typesLoaded ? '' : ' · no types plugin');
	const sel = $('type-filter');
	for (const t of st.types || [])
		sel.append(el('option', {value: t.type, text: t.type}));
	return st;
}

async function showHome()
{
	const box = $('overview');
	box.replaceChildren();
	const st = S.stats;
	if (st) {
		const dl = el('dl', {id: 'stats'});
		const row = (k, v) => dl.append(el('dt', {text: k}),
						 el('dd', {text: v}));
		row('log', st.path);
		row('format', st.format);
		row('records', st.records);
		row('agents', st.agents);
		row('from', st.first_time || '');
		row('to', st.last_time || '');
		row('types plugin', S.typesLoaded ? 'loaded' :
		    'none (states need --types)');
		if ((st.machines || []).length)
			row('machines', st.machines.join(', '));
		box.append(dl);
		const tb = el('tbody');
		for (const t of st.types || []) {
			tb.append(el('tr', {},
				el('td', {}, el('a', {href: '#', text: t.type,
					onclick: (ev) => {
						ev.preventDefault();
						$('type-filter').value = t.type;
						searchAgents(true);
					}})),
				el('td', {text: t.agents}),
				el('td', {text: t.records})));
		}
		box.append(el('table', {class: 'types'},
			el('thead', {}, el('tr', {},
				el('th', {text: 'type'}),
				el('th', {text: 'agents'}),
				el('th', {text: 'records'}))), tb));
	}
	const h = el('h2', {text: 'Latest records'});
	const list = el('ol', {id: 'latest', class: 'records'});
	box.append(h, list);
	const res = await api('/api/log?order=desc&limit=50');
	for (const r of res.records)
		list.append(recordCard(r, {}));
}

/* A record as a card: gseq, time, agent #seq (a link to its timeline),
 * event, body, cause; clicking the card opens its cause chain. */
function recordCard(r, opts)
{
	const li = el('li', {class: 'rec' + (opts.current ? ' current' : ''),
			     'data-gseq': r.gseq});
	li.append(
		el('a', {class: 'gseq', href: '#causes=' + r.gseq,
			 title: 'cause chain of this record',
			 text: 'gseq ' + r.gseq}),
		el('span', {class: 'time', text: r.time}),
		el('a', {class: 'agent', href: agentHref(agentName(r), r.seq),
			 text: agentName(r) + ' #' + r.seq}),
		el('span', {class: 'event', text: r.event}),
		el('span', {class: 'body', text: show(r.body)}),
		el('span', {class: 'cause',
			    text: r.cause ? causeText(r.cause) : 'from outside'}));
	li.addEventListener('click', (ev) => {
		if (ev.target.closest('a'))
			return;
		location.hash = '#causes=' + r.gseq;
	});
	return li;
}

/* ---------------------------------------------------------------- */
/* Agent search                                                       */
/* ---------------------------------------------------------------- */

const Q = {token: 0, next: null, type: '', prefix: '', timer: 0};

function searchQuery()
{
	let type = $('type-filter').value;
	let prefix = $('search').value;
	/* "ship/Glo" searches type ship, prefix Glo */
	const i = prefix.indexOf('/');
	if (!type && i > 0 && S.stats &&
	    (S.stats.types || []).some((t) => t.type === prefix.slice(0, i))) {
		type = prefix.slice(0, i);
		prefix = prefix.slice(i + 1);
	}
	return {type, prefix};
}

async function searchAgents(fresh)
{
	const token = ++Q.token;
	const list = $('agent-list');
	if (fresh) {
		const q = searchQuery();
		Q.type = q.type;
		Q.prefix = q.prefix;
		Q.next = null;
	}
	let url = '/api/agents?limit=' + AGENT_PAGE;
	if (Q.type)
		url += '&type=' + encodeURIComponent(Q.type);
	if (Q.prefix)
		url += '&prefix=' + encodeURIComponent(Q.prefix);
	if (!fresh && Q.next)
		url += '&after=' + encodeURIComponent(Q.next);
	list.setAttribute('data-state', 'loading');
	let res;
	try {
		res = await api(url);
	} catch (e) {
		if (token === Q.token) {
			list.setAttribute('data-state', 'error');
			showError(e);
		}
		return;
	}
	if (token !== Q.token)
		return;
	if (fresh)
		list.replaceChildren();
	const cur = currentAgent();
	for (const a of res.agents) {
		const name = agentName(a);
		list.append(el('li', {class: name === cur ? 'selected' : ''},
			el('a', {href: agentHref(name), 'data-agent': name,
				 title: 'last transition #' + a.seq + ' at ' +
					a.time},
				el('span', {class: 'name', text: name}),
				el('span', {class: 'meta',
					    text: a.seq + ' transitions'}))));
	}
	if (!list.childNodes.length)
		list.append(el('li', {class: 'none', text: 'no agent matches'}));
	Q.next = res.next;
	$('agent-more').hidden = !res.next;
	list.setAttribute('data-state', 'ok');
}

function searchSoon()
{
	clearTimeout(Q.timer);
	Q.timer = setTimeout(() => searchAgents(true), 200);
}

/* ---------------------------------------------------------------- */
/* An agent: timeline and time slider                                 */
/* ---------------------------------------------------------------- */

/* The agent on display: its history paging and its life's span. */
const A = {
	agent: null,
	key: '',        /* agent, order and start of the timeline shown */
	order: 'asc',
	next: null,     /* the history's next page, or null */
	token: 0,       /* bumped when another agent or page start is shown */
	loading: false,
	focus: 0,       /* seq to highlight and scroll to */
	firstNs: null,  /* BigInt time of the first and last transitions */
	lastNs: null,
	stateToken: 0,
	stateTimer: 0,
};

function currentAgent()
{
	const p = parseHash();
	return p.agent || null;
}

function splitAgent(agent)
{
	const i = agent.indexOf('/');
	return i > 0 ? {type: agent.slice(0, i), id: agent.slice(i + 1)} :
		null;
}

async function showAgent(agent, p)
{
	const order = p.order === 'desc' ? 'desc' : 'asc';
	const from = /^\d+$/.test(p.seq || '') ? p.seq : '';
	const key = agent + '\n' + order + '\n' + from;
	if (key === A.key)
		return;
	const sameAgent = agent === A.agent;
	A.key = key;
	A.agent = agent;
	A.order = order;
	A.focus = from ? Number(from) : 0;
	A.next = null;
	const token = ++A.token;
	for (const li of $('agent-list').children) {
		const a = li.querySelector('a');
		li.classList.toggle('selected',
			!!a && a.getAttribute('data-agent') === agent);
	}
	$('agent-title').textContent = agent;
	$('order-toggle').textContent = order === 'asc' ?
		'newest first' : 'oldest first';
	$('seq-input').value = from;
	$('timeline').replaceChildren();
	$('timeline').setAttribute('data-state', 'loading');
	$('timeline-more').hidden = true;
	const note = $('timeline-note');
	note.hidden = S.typesLoaded;
	note.textContent = S.typesLoaded ? '' : NEEDS_TYPES +
		' Without one, the timeline lists the events only.';
	if (!splitAgent(agent)) {
		showError('agent: "' + agent + '" is not TYPE/ID');
		return;
	}
	if (!sameAgent) {
		$('agent-summary').textContent = '';
		resetSlider();
		loadSpan(agent, token);
	}
	await loadTimeline(token, from || null);
}

/* The first and the last transition: the slider's ends. */
async function loadSpan(agent, token)
{
	const base = '/api/history?agent=' + encodeURIComponent(agent) +
		'&limit=1&order=';
	let first, last;
	try {
		[first, last] = await Promise.all([api(base + 'asc'),
						   api(base + 'desc')]);
	} catch (e) {
		if (token === A.token)
			showError(e);
		return;
	}
	if (agent !== A.agent || !first.records.length || !last.records.length)
		return;
	const f = first.records[0], l = last.records[0];
	A.firstNs = BigInt(f.time_ns);
	A.lastNs = BigInt(l.time_ns);
	$('agent-summary').textContent = l.seq + ' transitions, from ' +
		f.time + ' to ' + l.time;
	$('agent-summary').setAttribute('data-transitions', l.seq);
	const slider = $('slider');
	const span = Number((A.lastNs - A.firstNs) / 1000000n);
	slider.min = '0';
	slider.max = String(span);
	slider.value = String(span);
	slider.disabled = !S.typesLoaded;
	$('slider-min').textContent = f.time;
	$('slider-max').textContent = l.time;
	$('slider').setAttribute('data-first-ns', f.time_ns);
	$('slider').setAttribute('data-last-ns', l.time_ns);
	if (!S.typesLoaded) {
		const box = $('state-at');
		box.replaceChildren(el('p', {class: 'note', text: NEEDS_TYPES}));
		box.setAttribute('data-state', 'no-types');
		return;
	}
	stateAt(A.lastNs);
}

function resetSlider()
{
	A.firstNs = A.lastNs = null;
	A.stateToken++;
	const slider = $('slider');
	slider.min = slider.max = slider.value = '0';
	slider.disabled = true;
	slider.removeAttribute('data-first-ns');
	slider.removeAttribute('data-last-ns');
	$('slider-min').textContent = $('slider-max').textContent = '';
	$('slider-time').textContent = '';
	$('at-input').value = '';
	const box = $('state-at');
	box.replaceChildren();
	box.setAttribute('data-state', 'empty');
	box.removeAttribute('data-at-ns');
	box.removeAttribute('data-seq');
}

/* The time the slider points at: its ends are the first and last
 * transitions exactly, in between it moves in milliseconds. */
function sliderNs()
{
	const slider = $('slider');
	if (A.firstNs === null)
		return null;
	if (slider.value === slider.max)
		return A.lastNs;
	return A.firstNs + BigInt(slider.value) * 1000000n;
}

function onSlider(ev)
{
	const ns = sliderNs();
	if (ns === null || !S.typesLoaded)
		return;
	$('slider-time').textContent = fmtNs(ns);
	clearTimeout(A.stateTimer);
	if (ev.type === 'change')
		stateAt(ns);
	else
		A.stateTimer = setTimeout(() => stateAt(ns), 120);
}

/* Shows the state in force at ns (a BigInt) or at a time as typed. */
async function stateAt(at)
{
	clearTimeout(A.stateTimer);
	const agent = A.agent;
	const token = ++A.stateToken;
	const box = $('state-at');
	const atText = typeof at === 'bigint' ? at.toString() : at;
	if (typeof at === 'bigint')
		$('slider-time').textContent = fmtNs(at);
	box.setAttribute('data-state', 'loading');
	box.setAttribute('data-at-ns', atText);
	let res;
	try {
		res = await api('/api/state?agent=' + encodeURIComponent(agent) +
				'&at=' + encodeURIComponent(atText));
	} catch (e) {
		if (token === A.stateToken) {
			box.setAttribute('data-state', 'error');
			showError(e);
		}
		return;
	}
	if (token !== A.stateToken)
		return;
	const head = el('p', {class: 'state-head'});
	if (!res.seq) {
		head.append('before its first transition: the initial state');
	} else {
		head.append('in force: after ',
			el('a', {href: agentHref(agent, res.seq),
				 text: '#' + res.seq}),
			' (gseq ' + res.gseq + ', ' + res.time + ')');
	}
	box.replaceChildren(head, renderState(res.state, null, 'lines'));
	box.setAttribute('data-seq', res.seq);
	box.setAttribute('data-state', 'ok');
}

function onAtForm(ev)
{
	ev.preventDefault();
	const text = $('at-input').value.trim();
	if (!text || !A.agent)
		return;
	const ns = parseTime(text);
	if (ns === null) {
		stateAt(text); /* the server names what is wrong with it */
		return;
	}
	if (A.firstNs !== null) {
		const slider = $('slider');
		let v = ns <= A.firstNs ? 0n : (ns - A.firstNs) / 1000000n;
		if (v > BigInt(slider.max))
			v = BigInt(slider.max);
		slider.value = v.toString();
	}
	stateAt(ns);
}

/* One page of the timeline, appended. */
async function loadTimeline(token, from)
{
	if (A.loading && token === A.token)
		return;
	A.loading = true;
	const list = $('timeline');
	list.setAttribute('data-state', 'loading');
	$('timeline-more').disabled = true;
	let url = '/api/history?agent=' + encodeURIComponent(A.agent) +
		'&limit=' + HISTORY_PAGE + '&order=' + A.order;
	if (from !== null && from !== undefined)
		url += '&from=' + from;
	let res;
	try {
		res = await api(url);
	} catch (e) {
		if (token === A.token) {
			A.loading = false;
			list.setAttribute('data-state', 'error');
			showError(e);
		}
		return;
	}
	if (token !== A.token)
		return;
	A.loading = false;
	const frag = document.createDocumentFragment();
	for (const r of res.records)
		frag.append(timelineEntry(r));
	list.append(frag);
	if (S.typesLoaded && res.states === false) {
		const note = $('timeline-note');
		note.hidden = false;
		note.textContent = 'The types plugin does not register the ' +
			'type ' + splitAgent(A.agent).type + ': the timeline ' +
			'lists the events only, without states.';
	}
	A.next = res.next;
	$('timeline-more').hidden = res.next === null || res.next === undefined;
	$('timeline-more').disabled = false;
	list.setAttribute('data-count', list.children.length);
	list.setAttribute('data-state', 'ok');
	if (A.focus) {
		const li = list.querySelector('li[data-seq="' + A.focus + '"]');
		if (li) {
			li.classList.add('focus');
			li.scrollIntoView({block: 'center'});
		}
		A.focus = 0;
	}
}

function timelineEntry(r)
{
	const li = el('li', {class: 'entry', 'data-seq': r.seq,
			     'data-gseq': r.gseq, 'data-time-ns': r.time_ns});
	const head = el('div', {class: 'head'},
		el('span', {class: 'seq', text: '#' + r.seq}),
		el('span', {class: 'time', text: r.time}),
		el('span', {class: 'event', text: r.event}),
		el('span', {class: 'gseq', text: 'gseq ' + r.gseq}));
	/* The cause opens the cause chain of this record. */
	head.append(el('a', {class: 'cause chain', href: '#causes=' + r.gseq,
			     title: 'cause chain and effects of this record',
			     text: r.cause ? causeText(r.cause) :
				   'from outside (effects)'}));
	li.append(head);
	li.append(el('div', {class: 'body', text: show(r.body)}));
	if ('state' in r)
		li.append(renderState(r.state, r.diff));
	return li;
}

/* ---------------------------------------------------------------- */
/* Cause chains                                                       */
/* ---------------------------------------------------------------- */

let causeToken = 0;

async function showCauses(gseq, scan)
{
	const box = $('causes');
	const token = ++causeToken;
	box.replaceChildren(el('p', {class: 'hint', text: 'loading…'}));
	box.setAttribute('data-state', 'loading');
	box.setAttribute('data-gseq', gseq);
	if (!/^\d+$/.test(gseq)) {
		box.setAttribute('data-state', 'error');
		showError('causes: "' + gseq + '" is not a gseq');
		return;
	}
	scan = /^\d+$/.test(scan || '') ? scan : String(CAUSE_SCAN);
	let res;
	try {
		res = await api('/api/causes?gseq=' + gseq + '&scan=' + scan);
	} catch (e) {
		if (token === causeToken) {
			box.setAttribute('data-state', 'error');
			box.replaceChildren();
			showError(e);
		}
		return;
	}
	if (token !== causeToken)
		return;
	const chain = el('ol', {id: 'cause-chain', class: 'records chain'});
	for (const r of res.chain)
		chain.append(recordCard(r, {}));
	chain.append(recordCard(res.record, {current: true}));
	const effects = el('ol', {id: 'effects', class: 'records effects'});
	for (const r of res.effects)
		effects.append(recordCard(r, {}));
	box.replaceChildren(
		el('h2', {text: res.chain.length ?
			'Chain (' + res.chain.length + ' up to the root)' :
			'Chain (this record is a root: sent from outside)'}),
		chain,
		el('h2', {text: 'Effects (' + res.effects.length + ')'}),
		res.effects.length ? effects :
			el('p', {class: 'hint', id: 'effects',
				 text: 'no record names this one as its cause'}));
	if (!res.effects_complete) {
		box.append(el('p', {class: 'note'},
			'Effects looked for up to gseq ' + res.effects_scanned_to +
			'. ',
			el('a', {href: '#causes=' + gseq + '&scan=' +
					String(BigInt(scan) * 10n),
				 text: 'look further'})));
	}
	box.setAttribute('data-chain', res.chain.length);
	box.setAttribute('data-effects', res.effects.length);
	box.setAttribute('data-state', 'ok');
}

/* ---------------------------------------------------------------- */
/* Live tail                                                          */
/* ---------------------------------------------------------------- */

const L = {es: null, paused: false, last: null, queue: [], frame: 0,
	   seen: 0};

function liveStatus(text)
{
	$('live-status').textContent = text;
	$('live-status').setAttribute('data-state', text);
}

function startLive()
{
	if (L.es || L.paused)
		return;
	const url = '/api/live' + (L.last !== null ? '?from=' + L.last : '');
	const es = new EventSource(url);
	L.es = es;
	liveStatus('connecting');
	es.onopen = () => liveStatus('open');
	es.onerror = () => {
		/* EventSource reconnects by itself (with Last-Event-ID)
		 * unless the server refused the stream. */
		liveStatus(es.readyState === EventSource.CLOSED ?
			'closed' : 'reconnecting');
		if (es.readyState === EventSource.CLOSED && L.es === es) {
			L.es = null;
			showError('/api/live: the live stream closed');
		}
	};
	es.addEventListener('record', (ev) => {
		let r;
		try {
			r = parseJSON(ev.data);
		} catch (e) {
			return;
		}
		L.queue.push(r);
		if (L.queue.length > LIVE_CAP)
			L.queue.splice(0, L.queue.length - LIVE_CAP);
		if (!L.frame)
			L.frame = requestAnimationFrame(flushLive);
	});
}

/* Rows are added once a frame, however fast the records come. */
function flushLive()
{
	L.frame = 0;
	const rows = $('live-rows');
	const frag = document.createDocumentFragment();
	for (let i = L.queue.length - 1; i >= 0; i--) {
		const r = L.queue[i];
		frag.append(el('tr', {'data-gseq': r.gseq},
			el('td', {}, el('a', {href: '#causes=' + r.gseq,
					     text: r.gseq})),
			el('td', {text: r.time}),
			el('td', {}, el('a', {href: agentHref(agentName(r), r.seq),
					     text: agentName(r) + ' #' + r.seq})),
			el('td', {text: r.event}),
			el('td', {class: 'body', text: show(r.body)}),
			el('td', {text: r.cause ? causeText(r.cause) : ''})));
	}
	L.seen += L.queue.length;
	if (L.queue.length)
		L.last = L.queue[L.queue.length - 1].gseq;
	L.queue = [];
	rows.prepend(frag);
	while (rows.children.length > LIVE_CAP)
		rows.lastElementChild.remove();
	$('live').setAttribute('data-rows', rows.children.length);
}

function toggleLive()
{
	if (L.paused) {
		L.paused = false;
		$('live-pause').textContent = 'pause';
		startLive();
	} else {
		L.paused = true;
		$('live-pause').textContent = 'resume';
		if (L.es)
			L.es.close();
		L.es = null;
		liveStatus('paused');
	}
}

/* ---------------------------------------------------------------- */
/* Machine diagrams: inline SVG, states in layers by distance from     */
/* the start                                                          */
/* ---------------------------------------------------------------- */

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, text)
{
	const e = document.createElementNS(SVG, tag);
	for (const [k, v] of Object.entries(attrs || {}))
		e.setAttribute(k, v);
	if (text !== undefined)
		e.textContent = text;
	return e;
}

let machinesLoaded = false;

async function showMachines(focus)
{
	const box = $('machines');
	if (!S.typesLoaded) {
		box.replaceChildren(el('p', {class: 'note', text:
			'Machine diagrams need the types plugin that registers ' +
			'them: start the server with --types LIB.so.'}));
		box.setAttribute('data-state', 'no-types');
		return;
	}
	if (!machinesLoaded) {
		box.setAttribute('data-state', 'loading');
		let res;
		try {
			res = await api('/api/machines');
		} catch (e) {
			box.setAttribute('data-state', 'error');
			showError(e);
			return;
		}
		machinesLoaded = true;
		box.replaceChildren();
		for (const m of res.machines)
			box.append(machineFigure(m));
		if (!res.machines.length)
			box.append(el('p', {class: 'note', text:
				'The types plugin registers no state machine.'}));
		box.setAttribute('data-count', res.machines.length);
		box.setAttribute('data-state', 'ok');
	}
	if (focus) {
		const f = box.querySelector('figure[data-machine="' +
					    CSS.escape(focus) + '"]');
		if (f)
			f.scrollIntoView();
	}
}

/* A state's edges as drawn: an invoke (to null) becomes two, to the
 * states its child's success and error lead to. */
function drawnEdges(s)
{
	const out = [];
	for (const e of s.edges || []) {
		if (e.to !== null && e.to !== undefined) {
			out.push(e);
			continue;
		}
		const inv = e.invoke;
		if (!inv)
			continue;
		const name = (e.name || '') + ': invoke ' + inv.machine;
		if (inv.success)
			out.push(Object.assign({}, e, {to: inv.success,
				label: name + ', success'}));
		if (inv.error)
			out.push(Object.assign({}, e, {to: inv.error,
				label: name + ', error', failure: true}));
	}
	return out;
}

function machineLayout(m)
{
	const nodes = new Map();
	for (const s of m.states)
		nodes.set(s.name, {s, edges: drawnEdges(s), layer: -1,
				   order: 0, preds: []});
	/* layers: breadth-first distance from the start */
	const queue = [];
	const start = nodes.get(m.start);
	if (start) {
		start.layer = 0;
		queue.push(start);
	}
	while (queue.length) {
		const n = queue.shift();
		for (const e of n.edges) {
			const t = nodes.get(e.to);
			if (t && t.layer < 0) {
				t.layer = n.layer + 1;
				queue.push(t);
			}
		}
	}
	let maxLayer = 0;
	for (const n of nodes.values())
		maxLayer = Math.max(maxLayer, n.layer);
	for (const n of nodes.values()) {
		if (n.layer < 0)
			n.layer = maxLayer + 1; /* unreachable from the start */
	}
	const layers = [];
	for (const n of nodes.values())
		(layers[n.layer] = layers[n.layer] || []).push(n);
	for (const n of nodes.values()) {
		for (const e of n.edges) {
			const t = nodes.get(e.to);
			if (t && t.layer > n.layer)
				t.preds.push(n);
		}
	}
	/* order within a layer: by the mean position of the predecessors,
	 * a pass down the layers (fewer crossings, simple enough) */
	const dense = layers.filter(Boolean);
	dense.forEach((layer) => layer.forEach((n, i) => { n.order = i; }));
	for (let pass = 0; pass < 2; pass++) {
		for (const layer of dense) {
			for (const n of layer) {
				n.key = n.preds.length ? n.preds.reduce(
					(a, p) => a + p.order, 0) / n.preds.length :
					n.order;
			}
			layer.sort((a, b) => a.key - b.key);
			layer.forEach((n, i) => { n.order = i; });
		}
	}
	/* geometry */
	const H = 32, GAPX = 64, GAPY = 96, PAD = 24;
	let width = 0;
	for (const layer of dense) {
		let w = 0;
		for (const n of layer) {
			n.w = Math.max(90, n.s.name.length * 7.5 + 28);
			n.h = H;
			w += n.w;
		}
		w += GAPX * (layer.length - 1);
		layer.width = w;
		width = Math.max(width, w);
	}
	dense.forEach((layer, li) => {
		let x = PAD + (width - layer.width) / 2;
		for (const n of layer) {
			n.x = x + n.w / 2;
			n.y = PAD + 20 + li * (H + GAPY) + H / 2;
			x += n.w + GAPX;
		}
	});
	return {nodes, width: width + 2 * PAD,
		height: PAD * 2 + 20 + dense.length * (H + GAPY) - GAPY};
}

function fmtMs(ms)
{
	if (ms % 3600000 === 0)
		return ms / 3600000 + ' h';
	if (ms % 60000 === 0)
		return ms / 60000 + ' min';
	if (ms % 1000 === 0)
		return ms / 1000 + ' s';
	return ms + ' ms';
}

/* As `hindsight machine --dot` labels them: the event of an action, the
 * name, [guard], a wait. */
function edgeLabel(e)
{
	let t = e.label || e.name || e.event || '';
	if (!e.label && e.kind === 'on' && e.event && e.event !== e.name)
		t = e.event + ': ' + t;
	if (e.guard)
		t += ' [' + e.guard + ']';
	if (e.wait_ms)
		t += ' after ' + fmtMs(e.wait_ms);
	return t;
}

function machineFigure(m)
{
	const {nodes, width, height} = machineLayout(m);
	const id = 'm-' + m.id.replace(/[^A-Za-z0-9_-]/g, '_') + '-v' +
		m.version;
	const g = svg('g');
	const root = svg('svg', {class: 'machine-svg', role: 'img',
				 'aria-label': 'machine ' + m.id});
	const defs = svg('defs');
	const marker = svg('marker', {id: id + '-arrow', viewBox: '0 0 10 10',
				      refX: '10', refY: '5', markerWidth: '7',
				      markerHeight: '7',
				      orient: 'auto-start-reverse'});
	marker.append(svg('path', {d: 'M0,0 L10,5 L0,10 z',
				   class: 'arrow'}));
	defs.append(marker);
	root.append(defs, g);
	const edgeLayer = svg('g', {class: 'edges'});
	const nodeLayer = svg('g', {class: 'nodes'});
	g.append(edgeLayer, nodeLayer);
	let maxX = width, minX = 0, minY = 0, maxY = height;
	/* boxes a label must not cover: the states, then the labels placed */
	const labels = [];
	let right = 0, back = 0;
	for (const n of nodes.values()) {
		labels.push({x0: n.x - n.w / 2, x1: n.x + n.w / 2,
			     y0: n.y - n.h / 2, y1: n.y + n.h / 2});
		right = Math.max(right, n.x + n.w / 2);
	}
	/* count the edges between each pair to spread them apart */
	const pairs = new Map();
	for (const n of nodes.values()) {
		for (const e of n.edges) {
			const k = n.s.name + '\n' + e.to;
			pairs.set(k, (pairs.get(k) || 0) + 1);
		}
	}
	const seenPair = new Map();
	for (const n of nodes.values()) {
		for (const e of n.edges) {
			const t = nodes.get(e.to);
			if (!t)
				continue;
			const k = n.s.name + '\n' + e.to;
			const idx = seenPair.get(k) || 0;
			seenPair.set(k, idx + 1);
			const spread = idx - ((pairs.get(k) || 1) - 1) / 2;
			let d, lx, ly, anchor = 'middle';
			if (t === n) {
				/* a loop on the right side */
				const x = n.x + n.w / 2, y = n.y;
				const r = 34 + idx * 22;
				d = `M${x},${y - 8} C${x + r},${y - 26 - idx * 8} ` +
				    `${x + r},${y + 26 + idx * 8} ${x},${y + 8}`;
				lx = x + r * 0.75 + 4;
				ly = y + 4;
				anchor = 'start';
			} else if (t.layer > n.layer) {
				const off = spread * 14;
				const x1 = n.x + off, y1 = n.y + n.h / 2;
				const x2 = t.x + off, y2 = t.y - t.h / 2;
				const my = (y1 + y2) / 2;
				d = `M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2}`;
				lx = (x1 + x2) / 2 + 4;
				ly = my + 4 + spread * 12;
				anchor = x2 >= x1 ? 'start' : 'end';
				if (Math.abs(x2 - x1) < 4)
					anchor = 'start';
			} else if (t.layer < n.layer) {
				/* back to an earlier layer: up from the source,
				 * along the gap above it to the right of every
				 * state, up, and along the gap above the target
				 * down into it */
				const k = back++;
				const x1 = n.x + n.w / 4, y1 = n.y - n.h / 2;
				const x2 = t.x + t.w / 4, y2 = t.y - t.h / 2;
				const ya = y1 - 16 - (k % 4) * 6;
				const yb = y2 - 16 - (k % 4) * 6;
				const bx = right + 24 + k * 14;
				d = `M${x1},${y1} L${x1},${ya} L${bx},${ya} ` +
				    `L${bx},${yb} L${x2},${yb} L${x2},${y2}`;
				lx = bx + 4;
				ly = (ya + yb) / 2;
				anchor = 'start';
				maxX = Math.max(maxX, bx + 12);			} else {
				/* same layer: an arc above */
				const x1 = n.x, y1 = n.y - n.h / 2;
				const x2 = t.x, y2 = t.y - t.h / 2;
				const top = y1 - 40 - Math.abs(spread) * 12;
				d = `M${x1},${y1} C${x1},${top} ${x2},${top} ${x2},${y2}`;
				lx = (x1 + x2) / 2;
				ly = top + 6;
				minY = Math.min(minY, top - 12);
			}
			const cls = 'edge ' + (e.kind === 'always' ?
				'always' : 'on') + (e.failure ? ' failure' : '');
			const path = svg('path', {d, class: cls,
				'marker-end': `url(#${id}-arrow)`,
				'data-from': n.s.name, 'data-to': e.to});
			const title = svg('title', {}, n.s.name + ' → ' + e.to +
				': ' + edgeLabel(e) + (e.kind === 'on' ?
				' (on ' + (e.event || e.name) + ')' :
				' (always)'));
			path.append(title);
			edgeLayer.append(path);
			const label = edgeLabel(e);
			if (label) {
				/* move a label down until it overlaps none
				 * placed before it */
				const w = label.length * 6.6 + 4;
				const x0 = anchor === 'start' ? lx :
					anchor === 'end' ? lx - w : lx - w / 2;
				while (labels.some((b) => x0 < b.x1 &&
					x0 + w > b.x0 && ly - 11 < b.y1 &&
					ly + 3 > b.y0))
					ly += 13;
				labels.push({x0, x1: x0 + w, y0: ly - 11,
					     y1: ly + 3});
				edgeLayer.append(svg('text', {x: lx, y: ly,
					class: 'edge-label',
					'text-anchor': anchor}, label));
				maxX = Math.max(maxX, x0 + w + 8);
				minX = Math.min(minX, x0 - 8);
				maxY = Math.max(maxY, ly + 8);
			}
		}
	}
	for (const n of nodes.values()) {
		const s = n.s;
		const cls = 'node' + (s.name === m.start ? ' start' : '') +
			(s.end ? ' end end-' + s.end : '');
		const ng = svg('g', {class: cls, 'data-state': s.name});
		const x = n.x - n.w / 2, y = n.y - n.h / 2;
		ng.append(svg('rect', {x, y, width: n.w, height: n.h,
				       rx: 8, ry: 8}));
		if (s.end) {
			ng.append(svg('rect', {x: x + 4, y: y + 4,
					       width: n.w - 8, height: n.h - 8,
					       rx: 5, ry: 5, class: 'inner'}));
		}
		ng.append(svg('text', {x: n.x, y: n.y + 4.5,
				       'text-anchor': 'middle'}, s.name));
		ng.append(svg('title', {}, s.name +
			(s.name === m.start ? ' (start)' : '') +
			(s.end ? ' (end: ' + s.end + ')' : '')));
		nodeLayer.append(ng);
	}
	const vw = Math.ceil(maxX - minX), vh = Math.ceil(maxY - minY);
	root.setAttribute('viewBox', `${Math.floor(minX)} ${Math.floor(minY)} ${vw} ${vh}`);
	root.setAttribute('width', vw);
	root.setAttribute('height', vh);
	const fig = el('figure', {class: 'machine', 'data-machine': m.id,
				  'data-version': m.version, id},
		el('figcaption', {},
			el('strong', {text: m.id}),
			' version ' + m.version + ', ' + m.states.length +
			' states, start at ' + m.start + '. ',
			el('span', {class: 'legend',
				text: 'bold: start; double: end (red: error); ' +
				      'solid: on an event; dashed: always'})));
	fig.append(root);
	return fig;
}

/* ---------------------------------------------------------------- */
/* Navigation                                                         */
/* ---------------------------------------------------------------- */

function parseHash()
{
	const p = {};
	for (const part of location.hash.replace(/^#/, '').split('&')) {
		if (!part)
			continue;
		const i = part.indexOf('=');
		const k = i < 0 ? part : part.slice(0, i);
		let v = i < 0 ? '' : part.slice(i + 1);
		try {
			v = decodeURIComponent(v);
		} catch (e) {
			/* keep it as written */
		}
		p[k] = v;
	}
	return p;
}

function showView(name)
{
	for (const v of document.querySelectorAll('.view'))
		v.hidden = v.id !== 'view-' + name;
	for (const a of document.querySelectorAll('#nav a'))
		a.classList.toggle('active', a.dataset.view === name);
	document.body.setAttribute('data-view', name);
}

async function route()
{
	clearError();
	const p = parseHash();
	try {
		if ('agent' in p) {
			showView('agent');
			await showAgent(p.agent, p);
		} else if ('causes' in p) {
			showView('causes');
			await showCauses(p.causes, p.scan);
		} else if ('live' in p) {
			showView('live');
			startLive();
		} else if ('machines' in p) {
			showView('machines');
			await showMachines(p.machines);
		} else {
			showView('home');
			await showHome();
		}
	} catch (e) {
		showError(e);
	}
}

async function main()
{
	$('error-close').addEventListener('click', clearError);
	$('live-cap').textContent = LIVE_CAP;
	$('search').addEventListener('input', searchSoon);
	$('type-filter').addEventListener('change', () => searchAgents(true));
	$('search-form').addEventListener('submit', (ev) => {
		ev.preventDefault();
		clearTimeout(Q.timer);
		searchAgents(true);
	});
	$('agent-more').addEventListener('click', () => searchAgents(false));
	$('timeline-more').addEventListener('click', () => {
		if (A.next !== null)
			loadTimeline(A.token, A.next);
	});
	$('order-toggle').addEventListener('click', () => {
		location.hash = '#agent=' + enc(A.agent) +
			(A.order === 'asc' ? '&order=desc' : '');
	});
	$('seq-form').addEventListener('submit', (ev) => {
		ev.preventDefault();
		const v = $('seq-input').value.trim();
		location.hash = agentHref(A.agent, /^\d+$/.test(v) ? v : '') +
			(A.order === 'desc' ? '&order=desc' : '');
	});
	$('slider').addEventListener('input', onSlider);
	$('slider').addEventListener('change', onSlider);
	$('at-form').addEventListener('submit', onAtForm);
	$('live-pause').addEventListener('click', toggleLive);
	$('live-clear').addEventListener('click', () => {
		$('live-rows').replaceChildren();
		$('live').setAttribute('data-rows', 0);
	});
	window.addEventListener('hashchange', route);
	try {
		await loadStats();
	} catch (e) {
		showError(e);
	}
	searchAgents(true);
	await route();
	document.body.setAttribute('data-ready', '');
}

main();

})();
