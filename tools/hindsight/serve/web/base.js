/*
 * The page of `hindsight serve` (docs/SERVE.md): plain JavaScript over the
 * server's JSON API, no library, no network beyond the server. Views are
 * chosen by the URL hash (#agent=ship/Gloria, #causes=123, #live,
 * #machines) so that each one can be linked to. Everything the log holds is
 * put into the page as text (textContent), never as HTML.
 *
 * One file a job, loaded in this order by index.html (they share the
 * page's top-level scope): base.js (values, times, the API, DOM helpers),
 * overview.js (stats, header, agent search), agent.js (timeline and time
 * slider), causes.js, live.js, machines.js, main.js (navigation).
 */
'use strict';

const HISTORY_PAGE = 200;  /* transitions a timeline page asks for */
const AGENT_PAGE = 50;     /* agents a search page asks for */
const LIVE_CAP = 300;      /* rows the live tail keeps */
const CAUSE_SCAN = 10000;  /* records /api/causes reads for effects */

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
