// graph.js: a state machine definition as a graph, laid out in layers and
// drawn as SVG. No library: longest-path layering after breaking cycles,
// dummy nodes on long edges, barycentre ordering, then a simple placement.
// Also: the status of each state derived from an execution's history.
'use strict';

const SFNGraph = (() => {
  const SVG = 'http://www.w3.org/2000/svg';
  const NODE_H = 40, LAYER_GAP = 46, NODE_GAP = 28, CHAR_W = 7.2, MARGIN = 24;

  // build turns a definition into nodes and edges. Parallel branches and Map
  // processors are flattened: the state fans out to each branch's StartAt,
  // and the branches' last states meet again in a small join node that
  // leads to the state's Next.
  function build(def) {
    const nodes = [], edges = [], groups = [], byId = new Map();
    const add = (n) => { if (!byId.has(n.id)) { byId.set(n.id, n); nodes.push(n); } return byId.get(n.id); };
    const sid = (name) => 's:' + name;
    add({ id: 'start', kind: 'start', label: 'Start' });

    function machine(m, from, exit, depth) {
      const states = (m && typeof m.States === 'object' && m.States) || {};
      const names = Object.keys(states);
      for (const name of names) {
        const st = states[name] || {};
        add({ id: sid(name), kind: 'state', type: String(st.Type || '?'), state: name, label: name, depth });
      }
      if (m && typeof m.StartAt === 'string' && states[m.StartAt]) edges.push({ from, to: sid(m.StartAt), kind: from === 'start' ? 'next' : 'branch' });
      for (const name of names) {
        const st = states[name] || {}, id = sid(name);
        const subs = [];
        if (Array.isArray(st.Branches)) st.Branches.forEach((b, i) => subs.push({ m: b, title: name + ' · branch ' + (i + 1) }));
        const proc = st.ItemProcessor || st.Iterator;
        if (proc) subs.push({ m: proc, title: name + ' · each item' });
        let after = id;
        if (subs.length) {
          const join = add({ id: 'j:' + name, kind: 'join', label: '', state: name, depth });
          for (const s of subs) {
            const before = nodes.length;
            machine(s.m, id, join.id, depth + 1);
            groups.push({ title: s.title, ids: nodes.slice(before).map((n) => n.id) });
          }
          after = join.id;
        }
        if (typeof st.Next === 'string') edges.push({ from: after, to: sid(st.Next), kind: 'next' });
        if (Array.isArray(st.Choices)) st.Choices.forEach((c, i) => {
          if (c && typeof c.Next === 'string') edges.push({ from: id, to: sid(c.Next), kind: 'choice', label: 'rule ' + (i + 1) });
        });
        if (typeof st.Default === 'string') edges.push({ from: id, to: sid(st.Default), kind: 'choice', label: 'default' });
        if (Array.isArray(st.Catch)) st.Catch.forEach((c) => {
          if (c && typeof c.Next === 'string') edges.push({ from: after, to: sid(c.Next), kind: 'catch', label: 'catch ' + (c.ErrorEquals || []).join(',') });
        });
        if (st.End === true || st.Type === 'Succeed') edges.push({ from: after, to: exit, kind: 'next' });
        if (st.Type === 'Fail' && exit === 'end') edges.push({ from: id, to: exit, kind: 'fail' });
      }
    }
    add({ id: 'end', kind: 'end', label: 'End' });
    machine(def, 'start', 'end', 0);
    // Move End last, so that the initial order reads top to bottom.
    nodes.splice(nodes.indexOf(byId.get('end')), 1);
    nodes.push(byId.get('end'));
    return { nodes, edges: edges.filter((e) => byId.has(e.from) && byId.has(e.to)), groups, byId };
  }

  function nodeWidth(n) {
    if (n.kind === 'dummy') return 2;
    if (n.kind === 'join') return 14;
    if (n.kind === 'start' || n.kind === 'end') return 64;
    return Math.max(96, Math.ceil(Math.max(n.label.length, n.type ? n.type.length + 2 : 0) * CHAR_W) + 28);
  }
  function nodeHeight(n) {
    if (n.kind === 'dummy') return 0;
    if (n.kind === 'join') return 14;
    if (n.kind === 'start' || n.kind === 'end') return 28;
    return NODE_H;
  }

  // layout assigns x, y to every node and a list of points to every edge.
  function layout(g) {
    const ids = g.nodes.map((n) => n.id);
    const out = new Map(ids.map((id) => [id, []]));
    g.edges.forEach((e, i) => { if (e.from !== e.to) out.get(e.from).push(i); });

    // 1. Break cycles: an edge to a node still on the DFS stack points back.
    const state = new Map(), order = [];
    const visit = (root) => {
      const stack = [[root, 0]];
      state.set(root, 1);
      order.push(root);
      while (stack.length) {
        const top = stack[stack.length - 1];
        const list = out.get(top[0]);
        if (top[1] >= list.length) { state.set(top[0], 2); stack.pop(); continue; }
        const e = g.edges[list[top[1]++]];
        const s = state.get(e.to);
        if (s === 1) e.back = true;
        else if (!s) { state.set(e.to, 1); order.push(e.to); stack.push([e.to, 0]); }
      }
    };
    visit('start');
    ids.forEach((id) => { if (!state.has(id)) visit(id); });
    const forward = g.edges.filter((e) => !e.back && e.from !== e.to);

    // 2. Longest-path layering over the acyclic rest (Kahn's order).
    const indeg = new Map(ids.map((id) => [id, 0]));
    forward.forEach((e) => indeg.set(e.to, indeg.get(e.to) + 1));
    const layer = new Map(ids.map((id) => [id, 0]));
    const queue = order.filter((id) => indeg.get(id) === 0);
    const fwdOut = new Map(ids.map((id) => [id, []]));
    forward.forEach((e) => fwdOut.get(e.from).push(e));
    for (let qi = 0; qi < queue.length; qi++) {
      const u = queue[qi];
      for (const e of fwdOut.get(u)) {
        layer.set(e.to, Math.max(layer.get(e.to), layer.get(u) + 1));
        indeg.set(e.to, indeg.get(e.to) - 1);
        if (indeg.get(e.to) === 0) queue.push(e.to);
      }
    }
    let maxLayer = 0;
    layer.forEach((l) => { maxLayer = Math.max(maxLayer, l); });
    if (g.byId.has('end') && ids.length > 2) layer.set('end', maxLayer);

    // 3. Dummy nodes on forward edges longer than one layer.
    const all = new Map(g.nodes.map((n) => [n.id, n]));
    let dn = 0;
    for (const e of forward) {
      e.path = [e.from];
      for (let l = layer.get(e.from) + 1; l < layer.get(e.to); l++) {
        const d = { id: 'd:' + dn++, kind: 'dummy', label: '' };
        all.set(d.id, d);
        layer.set(d.id, l);
        e.path.push(d.id);
      }
      e.path.push(e.to);
    }
    const rank = new Map(order.map((id, i) => [id, i]));
    const layers = Array.from({ length: maxLayer + 1 }, () => []);
    all.forEach((n, id) => layers[layer.get(id)].push(id));
    layers.forEach((L) => L.sort((a, b) => (rank.has(a) ? rank.get(a) : 1e9) - (rank.has(b) ? rank.get(b) : 1e9)));
    const preds = new Map(), succs = new Map();
    all.forEach((_, id) => { preds.set(id, []); succs.set(id, []); });
    for (const e of forward) for (let i = 1; i < e.path.length; i++) {
      succs.get(e.path[i - 1]).push(e.path[i]);
      preds.get(e.path[i]).push(e.path[i - 1]);
    }

    // 4. Barycentre ordering: sweep down and up, sorting each layer by the
    // mean position of its neighbours in the layer before.
    const pos = new Map();
    const index = () => layers.forEach((L) => L.forEach((id, i) => pos.set(id, i)));
    index();
    const sweep = (from, to, step, nb) => {
      for (let l = from; l !== to; l += step) {
        const bc = new Map();
        layers[l].forEach((id) => {
          const ns = nb.get(id);
          bc.set(id, ns.length ? ns.reduce((s, n) => s + pos.get(n), 0) / ns.length : pos.get(id));
        });
        layers[l].sort((a, b) => bc.get(a) - bc.get(b) || pos.get(a) - pos.get(b));
        layers[l].forEach((id, i) => pos.set(id, i));
      }
    };
    for (let it = 0; it < 6; it++) {
      sweep(1, layers.length, 1, preds);
      sweep(layers.length - 2, -1, -1, succs);
    }

    // 5. Coordinates: each node wants to sit under the mean of its
    // predecessors; overlaps are pushed apart, then the layer is centred on
    // what its nodes wanted.
    const x = new Map(), w = new Map();
    all.forEach((n, id) => w.set(id, nodeWidth(n)));
    layers.forEach((L) => {
      let cx = 0;
      L.forEach((id) => { x.set(id, cx + w.get(id) / 2); cx += w.get(id) + NODE_GAP; });
      const shift = -(cx - NODE_GAP) / 2;
      L.forEach((id) => x.set(id, x.get(id) + shift));
    });
    const place = (L, nb) => {
      if (!L.length) return;
      const want = L.map((id) => {
        const ns = nb.get(id);
        return ns.length ? ns.reduce((s, n) => s + x.get(n), 0) / ns.length : x.get(id);
      });
      const got = want.slice();
      for (let i = 1; i < L.length; i++) {
        const min = got[i - 1] + w.get(L[i - 1]) / 2 + NODE_GAP + w.get(L[i]) / 2;
        if (got[i] < min) got[i] = min;
      }
      const drift = got.reduce((s, v, i) => s + v - want[i], 0) / L.length;
      L.forEach((id, i) => x.set(id, got[i] - drift));
    };
    for (let it = 0; it < 3; it++) {
      for (let l = 1; l < layers.length; l++) place(layers[l], preds);
      for (let l = layers.length - 2; l >= 0; l--) place(layers[l], succs);
    }
    for (let l = 1; l < layers.length; l++) place(layers[l], preds);

    let minX = Infinity, maxX = -Infinity;
    all.forEach((_, id) => {
      minX = Math.min(minX, x.get(id) - w.get(id) / 2);
      maxX = Math.max(maxX, x.get(id) + w.get(id) / 2);
    });
    const hasBack = g.edges.some((e) => e.back || e.from === e.to);
    const geo = new Map();
    all.forEach((n, id) => {
      geo.set(id, { x: x.get(id) - minX + MARGIN, y: MARGIN + layer.get(id) * (NODE_H + LAYER_GAP) + NODE_H / 2, w: w.get(id), h: nodeHeight(n) });
    });
    return {
      geo, width: maxX - minX + 2 * MARGIN + (hasBack ? 80 : 0),
      height: 2 * MARGIN + (maxLayer + 1) * (NODE_H + LAYER_GAP) - LAYER_GAP,
    };
  }

  function el(name, attrs, parent) {
    const e = document.createElementNS(SVG, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  // edgePath draws a forward edge through its dummies with vertical
  // tangents, and a back edge as an arc on the right of both ends.
  function edgePath(e, L) {
    const a = L.geo.get(e.from), b = L.geo.get(e.to);
    if (e.back || e.from === e.to) {
      const x1 = a.x + a.w / 2, x2 = b.x + b.w / 2;
      const bulge = 30 + Math.abs(a.y - b.y) / 8;
      const xm = Math.max(x1, x2) + bulge;
      return { d: `M${x1},${a.y} C${xm},${a.y} ${xm},${b.y} ${x2 + 6},${b.y}`, mid: { x: xm - bulge / 4, y: (a.y + b.y) / 2 } };
    }
    const pts = e.path.map((id) => L.geo.get(id));
    const p = [{ x: a.x, y: a.y + a.h / 2 }];
    for (let i = 1; i < pts.length - 1; i++) p.push({ x: pts[i].x, y: pts[i].y });
    p.push({ x: b.x, y: b.y - b.h / 2 - 4 });
    let d = `M${p[0].x},${p[0].y}`;
    for (let i = 1; i < p.length; i++) {
      const my = (p[i - 1].y + p[i].y) / 2;
      d += ` C${p[i - 1].x},${my} ${p[i].x},${my} ${p[i].x},${p[i].y}`;
    }
    const m = p.length > 2 ? p[1] : { x: (p[0].x + p[1].x) / 2, y: (p[0].y + p[1].y) / 2 };
    return { d, mid: m };
  }

  // render draws the graph; state nodes carry data-state and the class
  // "node st-notreached" until paint colours them.
  function render(g, L) {
    const svg = el('svg', { xmlns: SVG, class: 'graph', width: Math.ceil(L.width), height: Math.ceil(L.height), viewBox: `0 0 ${Math.ceil(L.width)} ${Math.ceil(L.height)}`, role: 'img' });
    const defs = el('defs', {}, svg);
    const mk = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '8', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' }, defs);
    el('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }, mk);
    const groupLayer = el('g', { class: 'groups' }, svg);
    for (const grp of g.groups) {
      const gs = grp.ids.map((id) => L.geo.get(id)).filter(Boolean);
      if (!gs.length) continue;
      const x1 = Math.min(...gs.map((q) => q.x - q.w / 2)) - 10, x2 = Math.max(...gs.map((q) => q.x + q.w / 2)) + 10;
      const y1 = Math.min(...gs.map((q) => q.y - q.h / 2)) - 16, y2 = Math.max(...gs.map((q) => q.y + q.h / 2)) + 8;
      el('rect', { x: x1, y: y1, width: x2 - x1, height: y2 - y1, rx: 8, class: 'group' }, groupLayer);
      const t = el('text', { x: x1 + 6, y: y1 + 11, class: 'group-title' }, groupLayer);
      t.textContent = grp.title;
    }
    const edgeLayer = el('g', { class: 'edges' }, svg);
    for (const e of g.edges) {
      const { d, mid } = edgePath(e, L);
      el('path', { d, class: 'edge edge-' + e.kind + (e.back ? ' edge-back' : ''), 'marker-end': 'url(#arrow)' }, edgeLayer);
      if (e.label) {
        const t = el('text', { x: mid.x + 4, y: mid.y - 3, class: 'edge-label' }, edgeLayer);
        t.textContent = e.label.length > 28 ? e.label.slice(0, 27) + '…' : e.label;
      }
    }
    const nodeLayer = el('g', { class: 'nodes' }, svg);
    for (const n of g.nodes) {
      const q = L.geo.get(n.id);
      if (!q) continue;
      const grp = el('g', { class: 'node node-' + n.kind + (n.kind === 'state' ? ' st-notreached' : ''), transform: `translate(${q.x - q.w / 2},${q.y - q.h / 2})` }, nodeLayer);
      if (n.state !== undefined) grp.setAttribute('data-state', n.state);
      if (n.kind === 'join') {
        el('rect', { width: q.w, height: q.h, rx: 3, transform: `rotate(45 ${q.w / 2} ${q.h / 2})` }, grp);
        continue;
      }
      el('rect', { width: q.w, height: q.h, rx: n.kind === 'state' ? 6 : q.h / 2 }, grp);
      const t = el('text', { x: q.w / 2, y: n.kind === 'state' ? 17 : q.h / 2 + 4, class: 'label' }, grp);
      t.textContent = n.label;
      if (n.kind === 'state') {
        const k = el('text', { x: q.w / 2, y: 32, class: 'kind' }, grp);
        k.textContent = n.type;
        el('title', {}, grp).textContent = n.label + ' (' + n.type + ')';
      }
    }
    return svg;
  }

  // statuses reads a history (events in id order) and says, per state
  // name, what happened: running, succeeded, failed, caught, retried or
  // aborted (absent: not reached). Each event belongs to the state whose
  // …StateEntered it follows through previousEventId, so Parallel branches
  // and Map iterations are told apart.
  function statuses(events, execStatus) {
    const owner = new Map(), typeOf = new Map(), st = new Map(), parent = new Map(), kind = new Map();
    const get = (name) => {
      if (!st.has(name)) st.set(name, { entered: 0, exited: 0, attempts: 0, failures: 0, pendingFail: false, retried: false, caught: false, failed: false, aborted: false });
      return st.get(name);
    };
    // container finds the Parallel or Map state around the state o.
    const container = (o, k) => {
      let c = o;
      for (let i = 0; c !== undefined && i < 1000; i++) {
        if (kind.get(c) === k && c !== o) return c;
        c = parent.get(c);
      }
      return kind.get(o) === k ? o : undefined;
    };
    for (const e of events) {
      const t = String(e.type || '');
      typeOf.set(e.id, t);
      let name = owner.get(e.previousEventId);
      const m = /^(\w+?)State(Entered|Exited|Aborted)$/.exec(t);
      if (m && typeof e.name === 'string') {
        if (m[2] === 'Entered') {
          kind.set(e.name, m[1]);
          const prevType = typeOf.get(e.previousEventId);
          if (name !== undefined && name !== e.name && !parent.has(e.name)) {
            if (prevType === 'ParallelStateStarted' || prevType === 'MapIterationStarted') parent.set(e.name, name);
            else if (parent.has(name)) parent.set(e.name, parent.get(name));
          }
        }
        name = e.name;
      } else if (/^(Parallel|Map)State(Succeeded|Failed)$/.test(t) && name !== undefined) {
        name = container(name, t.startsWith('Parallel') ? 'Parallel' : 'Map') || name;
      }
      if (name !== undefined) owner.set(e.id, name);
      if (name === undefined) continue;
      const s = get(name);
      if (m && m[2] === 'Entered') {
        s.entered++;
        if (t === 'FailStateEntered') s.failed = true;
      } else if (m && m[2] === 'Exited') {
        s.exited++;
        if (s.pendingFail) s.caught = true;
        s.pendingFail = false;
      } else if (m && m[2] === 'Aborted') {
        s.aborted = true;
      } else if (t === 'TaskScheduled' || t === 'ActivityScheduled' || t === 'ParallelStateStarted' || t === 'MapStateStarted') {
        s.attempts++;
        if (s.pendingFail) s.retried = true;
        s.pendingFail = false;
      } else if (/^(Task|Activity)(Failed|TimedOut)$/.test(t) || t === 'ParallelStateFailed' || t === 'MapStateFailed') {
        s.failures++;
        s.pendingFail = true;
      } else if (t === 'ExecutionFailed' || t === 'ExecutionTimedOut') {
        s.failed = true;
      }
    }
    const out = new Map();
    st.forEach((s, name) => {
      let v = 'succeeded';
      if (s.failed || (s.pendingFail && execStatus !== 'RUNNING')) v = 'failed';
      else if (s.entered > s.exited && !s.aborted && execStatus === 'RUNNING') v = 'running';
      else if (s.aborted && s.exited < s.entered) v = 'aborted';
      else if (s.caught) v = 'caught';
      else if (s.retried) v = 'retried';
      else if (s.entered > s.exited) v = execStatus === 'RUNNING' ? 'running' : 'aborted';
      out.set(name, Object.assign({ status: v }, s));
    });
    return out;
  }

  const CLASSES = ['st-notreached', 'st-running', 'st-succeeded', 'st-failed', 'st-caught', 'st-retried', 'st-aborted'];

  // paint colours the state nodes of svg by statuses().
  function paint(svg, stats) {
    svg.querySelectorAll('g.node-state, g.node-join').forEach((n) => {
      const s = stats.get(n.getAttribute('data-state'));
      n.classList.remove(...CLASSES);
      n.classList.add('st-' + (s ? s.status : 'notreached'));
      const title = n.querySelector('title');
      if (title && s) {
        const base = title.textContent.replace(/\n[\s\S]*$/, '');
        title.textContent = base + '\n' + s.status + ' · entered ' + s.entered + '×' + (s.failures ? ' · ' + s.failures + ' failed attempt(s)' : '');
      }
    });
  }

  function draw(def) {
    const g = build(def);
    return render(g, layout(g));
  }

  return { build, layout, render, draw, statuses, paint };
})();
