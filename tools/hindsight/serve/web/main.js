/* The page of `hindsight serve`: navigation, and the start. */
'use strict';

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
		await loadInfo();
	} catch (e) {
		showError(e);
	}
	S.statsReady = loadStats().catch(showError);
	searchAgents(true);
	await route();
	document.body.setAttribute('data-ready', '');
}

main();
