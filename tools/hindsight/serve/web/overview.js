/* The page of `hindsight serve`: stats, header, overview and the agent
 * search (see base.js for the files). */
'use strict';

/* ---------------------------------------------------------------- */
/* Stats, header and overview                                         */
/* ---------------------------------------------------------------- */

const S = {
	info: null,        /* /api/info */
	stats: null,       /* /api/stats, once it has come */
	statsReady: Promise.resolve(),
	typesLoaded: false,
};

const NEEDS_TYPES = 'States need a types plugin: start the server with ' +
	'hindsight serve DB --types LIB.so.';

/* The log's identity and whether a types plugin is loaded: O(1) on the
 * server, so the page waits for it before its first view. */
async function loadInfo()
{
	const info = await api('/api/info');
	S.info = info;
	S.typesLoaded = !!info.types_loaded;
	$('stats-line').textContent = info.path + ' · ' + info.records +
		' records' + (S.typesLoaded ? '' : ' · no types plugin');
	return info;
}

/* Agents by type: O(agents) on the server, so nothing waits for it; the
 * header, the type filter and the overview fill in when it comes. */
async function loadStats()
{
	const st = await api('/api/stats');
	S.stats = st;
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
	const summary = el('div', {id: 'overview-stats'});
	const h = el('h2', {text: 'Latest records'});
	const list = el('ol', {id: 'latest', class: 'records'});
	box.replaceChildren(summary, h, list);
	S.statsReady.then(() => {
		if (S.stats && summary.isConnected)
			summary.append(...statsTables(S.stats));
	});
	const res = await api('/api/log?order=desc&limit=50');
	for (const r of res.records)
		list.append(recordCard(r, {}));
}

/* The overview's table of the log and its table of types. */
function statsTables(st)
{
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
	return [dl, el('table', {class: 'types'},
		el('thead', {}, el('tr', {},
			el('th', {text: 'type'}),
			el('th', {text: 'agents'}),
			el('th', {text: 'records'}))), tb)];
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
