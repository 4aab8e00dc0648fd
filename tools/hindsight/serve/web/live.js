/* The page of `hindsight serve`: the live tail. */
'use strict';

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
