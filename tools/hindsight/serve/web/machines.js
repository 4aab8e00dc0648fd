/* The page of `hindsight serve`: machine diagrams. */
'use strict';

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
