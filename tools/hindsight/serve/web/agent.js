/* The page of `hindsight serve`: an agent's timeline and time slider. */
'use strict';

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
