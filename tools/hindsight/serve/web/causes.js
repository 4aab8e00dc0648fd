/* The page of `hindsight serve`: cause chains. */
'use strict';

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
