// app.js: the sfn console. Hash routes:
//   #/                 state machines and executions
//   #/sm/NAME[/V]      one state machine (version V) as a graph, its executions,
//                      and a panel that tests one of its states (POST /v1/test-state)
//   #/exec/ID          one execution: graph coloured by its history, history table,
//                      its parent and its Map Runs
//   #/maprun/ID        one Map Run of a distributed Map: its counts and children
//   #/schedules        schedules with their next fire times
//   #/schedule/NAME    one schedule: definition, counters, the executions it
//                      started; pause, resume, trigger, backfill, delete
//   #/notifications    webhook endpoints with their delivery counts
//   #/notification/NAME one endpoint and its dead letters, delivered again
// Every DOM node is built with textContent (never innerHTML), so names and
// data from the API cannot inject markup.
'use strict';

(() => {
  const BASE = location.pathname.replace(/\/ui(\/.*)?$/, '');
  const API = BASE + '/v1';
  const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
  const main = document.getElementById('main');
  let live = null; // the current page's background work, stopped on navigation

  // ---- small helpers ----------------------------------------------------
  function h(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      const v = attrs[k];
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'class') e.className = v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const kid of kids.flat(Infinity)) {
      if (kid === undefined || kid === null || kid === false) continue;
      e.appendChild(typeof kid === 'string' || typeof kid === 'number' ? document.createTextNode(String(kid)) : kid);
    }
    return e;
  }
  const enc = (s) => encodeURIComponent(s).replace(/%3A/gi, ':');
  const fmtTime = (t) => (t ? t.replace('T', ' ').replace(/(\.\d{3})\d+/, '$1').replace(/Z$/, '') : '');
  const json = (v) => JSON.stringify(v, null, 2);
  function dur(ms) {
    if (ms < 1000) return ms + ' ms';
    if (ms < 120000) return (ms / 1000).toFixed(1) + ' s';
    if (ms < 7200000) return Math.round(ms / 60000) + ' min';
    if (ms < 172800000) return (ms / 3600000).toFixed(1) + ' h';
    return (ms / 86400000).toFixed(1) + ' days';
  }
  function since(a, b) {
    if (!a) return '';
    const ms = (b ? Date.parse(b) : Date.now()) - Date.parse(a);
    return isFinite(ms) ? dur(ms) : '';
  }
  // until says how far t is from now: "in 5 min", or "3.0 s ago".
  function until(t) {
    const ms = t ? Date.parse(t) - Date.now() : NaN;
    if (!isFinite(ms)) return '';
    return ms >= 0 ? 'in ' + dur(ms) : dur(-ms) + ' ago';
  }
  const badge = (status) => h('span', { class: 'badge b-' + String(status).toLowerCase() }, status);
  const dataBlock = (label, v) => (v === undefined ? null : h('details', { class: 'data' }, h('summary', {}, label), h('pre', {}, json(v))));

  // ---- API and token ------------------------------------------------------
  const token = () => sessionStorage.getItem('sfn.token') || '';
  const headers = () => (token() ? { Authorization: 'Bearer ' + token() } : {});

  class APIError extends Error {
    constructor(status, body) {
      super((body && body.message) || 'HTTP ' + status);
      this.status = status;
      this.code = body && body.error;
      this.details = (body && body.details) || [];
    }
  }

  async function api(path, opts) {
    const o = Object.assign({}, opts || {});
    o.headers = Object.assign({ Accept: 'application/json' }, headers(), o.headers || {});
    const res = await fetch(API + path, o);
    const text = await res.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (_) { body = null; }
    if (!res.ok) throw new APIError(res.status, body);
    return body;
  }

  function login(message) {
    stop();
    main.replaceChildren(h('section', { class: 'login' },
      h('h2', {}, 'Access token'),
      h('p', {}, message || 'This server needs a bearer token.'),
      h('form', {
        onsubmit: (ev) => {
          ev.preventDefault();
          sessionStorage.setItem('sfn.token', ev.target.elements.token.value.trim());
          route();
        },
      }, h('input', { name: 'token', type: 'password', autocomplete: 'off', placeholder: 'token', size: 40 }), ' ', h('button', { type: 'submit' }, 'Use token')),
      h('p', { class: 'muted' }, 'The token is kept in this tab only (sessionStorage) and sent as Authorization: Bearer.')));
  }

  // errorView shows an API's refusal: its code, message and each problem
  // with the field it is about.
  function errorView(err, cls) {
    return [
      h('p', { class: 'exec-error ' + cls }, h('b', {}, err.code || 'Error'), ': ', String(err.message || err)),
      (err.details || []).length ? h('ul', { class: 'problems' }, err.details.map((p) =>
        h('li', {}, p.message, p.path ? ' at ' + p.path : '', p.line ? ' (line ' + p.line + ', column ' + p.column + ')' : ''))) : null,
    ].filter(Boolean);
  }

  function fail(err) {
    if (err instanceof APIError && err.status === 401) return login(token() ? 'The token was refused: ' + err.message : undefined);
    main.replaceChildren(h('section', { class: 'error' }, h('h2', {}, 'Error'), h('p', {}, String(err.message || err))));
  }

  // ---- routing -------------------------------------------------------------
  function stop() {
    if (live) live.stop();
    live = null;
  }

  // SECTIONS: the navigation link each page is under.
  const SECTIONS = new Map([['sm', ''], ['exec', ''], ['maprun', ''], ['schedule', 'schedules'], ['notification', 'notifications']]);

  function route() {
    stop();
    const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
    const section = SECTIONS.get(parts[0]);
    const here = '#/' + (section === undefined ? parts[0] || '' : section);
    document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('on', a.getAttribute('href') === here));
    let p;
    if (parts[0] === 'sm' && parts[1]) p = machinePage(parts[1], parts[2] ? Number(parts[2]) : 0);
    else if (parts[0] === 'exec' && parts[1]) p = executionPage(parts.slice(1).join('/'));
    else if (parts[0] === 'maprun' && parts[1]) p = mapRunPage(parts[1]);
    else if (parts[0] === 'schedules') p = schedulesPage();
    else if (parts[0] === 'schedule' && parts[1]) p = schedulePage(parts[1]);
    else if (parts[0] === 'notifications') p = endpointsPage();
    else if (parts[0] === 'notification' && parts[1]) p = endpointPage(parts[1]);
    else p = homePage();
    p.catch(fail);
  }
  window.addEventListener('hashchange', route);

  function every(ms, f) {
    let t = null, stopped = false;
    const tick = async () => {
      try { await f(); } catch (_) { /* shown on the next full load */ }
      if (!stopped) t = setTimeout(tick, ms);
    };
    t = setTimeout(tick, ms);
    return { stop() { stopped = true; clearTimeout(t); } };
  }

  // ---- lists ---------------------------------------------------------------
  function executionsTable(rows) {
    return h('table', { class: 'list executions' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Execution'), h('th', {}, 'State machine'), h('th', {}, 'Status'), h('th', {}, 'Started'), h('th', {}, 'Duration'))),
      h('tbody', {}, rows.map((x) => h('tr', { 'data-status': x.status },
        h('td', {}, h('a', { href: '#/exec/' + enc(x.executionId) }, x.name)),
        h('td', {}, machineLink(x.stateMachine, x.version), h('span', { class: 'muted' }, ' v' + x.version)),
        h('td', {}, badge(x.status)),
        h('td', {}, fmtTime(x.startedAt)),
        h('td', {}, since(x.startedAt, x.stoppedAt))))));
  }

  // machineLink links a state machine's page; a Map Run child's machine
  // (<state machine>/<label>) links its parent state machine's.
  function machineLink(sm, version) {
    const top = String(sm).split('/')[0];
    return h('a', { href: '#/sm/' + enc(top) + '/' + version }, sm);
  }

  // executionsPanel lists executions with a status filter and paging,
  // refreshed every few seconds.
  function executionsPanel(machine) {
    const box = h('div', { class: 'panel-body' });
    const status = h('select', { 'aria-label': 'status', onchange: () => load() },
      h('option', { value: '' }, 'any status'), STATUSES.map((s) => h('option', { value: s }, s)));
    const more = h('button', { type: 'button', hidden: true, onclick: () => load(more.dataset.cursor) }, 'More');
    let shown = [];
    async function load(cursor) {
      const q = new URLSearchParams({ limit: '50' });
      if (status.value) q.set('status', status.value);
      if (cursor) q.set('cursor', cursor);
      const path = machine ? '/state-machines/' + enc(machine) + '/executions?' : '/executions?';
      const r = await api(path + q);
      shown = cursor ? shown.concat(r.executions || []) : r.executions || [];
      box.replaceChildren(shown.length ? executionsTable(shown) : h('p', { class: 'muted' }, 'No executions.'));
      more.hidden = !r.nextCursor;
      more.dataset.cursor = r.nextCursor || '';
    }
    const panel = h('section', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h2', {}, 'Executions'), h('label', {}, 'Status ', status)), box, more);
    return { panel, load, refresh: () => (more.dataset.cursor ? null : load()) };
  }

  async function homePage() {
    const r = await api('/state-machines?limit=1000');
    const sms = r.stateMachines || [];
    const ex = executionsPanel('');
    await ex.load();
    main.replaceChildren(
      h('section', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h2', {}, 'State machines')),
        sms.length ? h('table', { class: 'list machines' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Version'), h('th', {}, 'Updated'))),
          h('tbody', {}, sms.map((s) => h('tr', {},
            h('td', {}, h('a', { href: '#/sm/' + enc(s.name) }, s.name)), h('td', {}, 'v' + s.version), h('td', {}, fmtTime(s.updatedAt))))))
          : h('p', { class: 'muted' }, 'No state machines yet: PUT /v1/state-machines/{name}.')),
      ex.panel);
    live = every(5000, ex.refresh);
  }

  // ---- one state machine ---------------------------------------------------
  async function machinePage(name, version) {
    const latest = await api('/state-machines/' + enc(name));
    const sm = version && version !== latest.version ? await api('/state-machines/' + enc(name) + '/versions/' + version) : latest;
    const versions = h('select', { 'aria-label': 'version', onchange: (ev) => { location.hash = '#/sm/' + enc(name) + '/' + ev.target.value; } },
      Array.from({ length: latest.version }, (_, i) => latest.version - i).map((v) => h('option', { value: v, selected: v === sm.version }, 'v' + v + (v === latest.version ? ' (latest)' : ''))));
    const ex = executionsPanel(name);
    await ex.load();
    const svg = SFNGraph.draw(sm.definition || {});
    const tester = testPanel(sm.definition || {});
    // A click on a state picks it for the test panel.
    svg.addEventListener('click', (ev) => {
      const n = ev.target.closest('g.node-state');
      if (n) tester.pick(n.getAttribute('data-state'));
    });
    main.replaceChildren(
      h('section', { class: 'panel' },
        h('div', { class: 'panel-head' }, h('h2', {}, name), h('label', {}, 'Version ', versions),
          h('span', { class: 'muted' }, 'sha256 ' + String(sm.definitionSha256 || '').slice(0, 12) + ' · updated ' + fmtTime(sm.updatedAt))),
        sm.definition && sm.definition.Comment ? h('p', { class: 'comment' }, String(sm.definition.Comment)) : null,
        h('div', { class: 'graph-box' }, svg),
        dataBlock('Definition (JSON)', sm.definition)),
      tester.panel,
      ex.panel);
    live = every(5000, ex.refresh);
  }

  // ---- test a state ------------------------------------------------------
  // statesOf lists a definition's states, each nested one (a Parallel's
  // branches, a Map's processor) after the state holding it, with the
  // query language it runs with when one is set above it.
  function statesOf(def) {
    const out = [];
    (function walk(m, depth, ql) {
      const lang = (m && m.QueryLanguage) || ql;
      for (const name in (m && m.States) || {}) {
        const st = m.States[name] || {};
        const own = st.QueryLanguage || lang;
        out.push({ name, state: st, depth, ql: own });
        (st.Branches || []).forEach((b) => walk(b, depth + 1, own));
        if (st.ItemProcessor || st.Iterator) walk(st.ItemProcessor || st.Iterator, depth + 1, own);
      }
    })(def, 0, undefined);
    return out;
  }

  // The stages of a state's data flow, in the order it goes through them,
  // as InspectionData names them.
  const STAGES = [
    ['input', 'Input'], ['afterInputPath', 'After InputPath'], ['afterItemsPath', 'After ItemsPath'],
    ['afterItemsPointer', 'After ItemsPointer'], ['afterParameters', 'After Parameters'], ['afterArguments', 'After Arguments'],
    ['afterItemSelector', 'After ItemSelector'], ['afterItemBatcher', 'After ItemBatcher'], ['result', 'Result'],
    ['afterResultSelector', 'After ResultSelector'], ['afterResultPath', 'After ResultPath'], ['variables', 'Variables (after Assign)'],
  ];

  // pretty shows JSON text indented; text that is not JSON as it is.
  function pretty(text) {
    try { return json(JSON.parse(text)); } catch (_) { return String(text); }
  }

  // testPanel is the "Test a state" panel of a state machine's page: it
  // runs one state of def through POST /v1/test-state and shows how it
  // ended and each stage of its data flow.
  function testPanel(def) {
    const states = statesOf(def);
    const field = (label, control, hint) => h('label', { class: 'field' }, h('span', {}, label), control, hint ? h('small', { class: 'muted' }, hint) : null);
    const area = (name, value, rows) => h('textarea', { name, rows: rows || 4, spellcheck: 'false' }, value || '');
    const state = h('select', { name: 'state', 'aria-label': 'state' },
      states.map((e) => h('option', { value: e.name }, '\u00a0'.repeat(2 * e.depth) + e.name + ' (' + (e.state.Type || '?') + ')')));
    const input = area('input', '{}', 6);
    const variables = area('variables', '', 3);
    const context = area('context', '', 3);
    const level = h('select', { name: 'inspectionLevel' }, ['INFO', 'DEBUG', 'TRACE'].map((l) => h('option', { value: l, selected: l === 'DEBUG' }, l)));
    const reveal = h('input', { type: 'checkbox', name: 'revealSecrets' });
    const mockKind = h('select', { name: 'mock' },
      h('option', { value: '' }, 'none: do the work'), h('option', { value: 'result' }, 'a result'), h('option', { value: 'error' }, 'an error'));
    const mockResult = area('mockResult', '{}', 4);
    const mockError = h('input', { name: 'mockError', placeholder: 'States.TaskFailed', size: 24 });
    const mockCause = h('input', { name: 'mockCause', placeholder: 'cause', size: 40 });
    const validation = h('select', { name: 'fieldValidationMode' }, ['STRICT', 'PRESENT', 'NONE'].map((m) => h('option', { value: m }, m)));
    const retries = h('input', { type: 'number', name: 'retrierRetryCount', min: 0, value: 0, size: 4 });
    const resultBox = h('div', { class: 'test-result' });
    const run = h('button', { type: 'submit' }, 'Test state');
    const resultFields = field('Mocked result (JSON)', mockResult);
    const errorFields = h('div', { class: 'row' }, field('Error', mockError), field('Cause', mockCause));
    function showMock() {
      resultFields.hidden = mockKind.value !== 'result';
      errorFields.hidden = mockKind.value !== 'error';
      validation.parentNode.hidden = mockKind.value !== 'result';
    }
    mockKind.addEventListener('change', showMock);

    function request() {
      const e = states.find((x) => x.name === state.value);
      const req = { inspectionLevel: level.value };
      if (!e || e.depth === 0) {
        req.definition = JSON.stringify(def);
        req.stateName = state.value;
      } else {
        // A nested state is tested on its own, in the query language of
        // the states around it.
        const st = Object.assign({}, e.state);
        if (e.ql && !st.QueryLanguage) st.QueryLanguage = e.ql;
        req.definition = JSON.stringify(st);
      }
      req.input = input.value.trim() || '{}';
      if (variables.value.trim()) req.variables = variables.value.trim();
      if (context.value.trim()) req.context = context.value.trim();
      if (reveal.checked) req.revealSecrets = true;
      if (mockKind.value === 'result') req.mock = { result: mockResult.value.trim(), fieldValidationMode: validation.value };
      if (mockKind.value === 'error') req.mock = { errorOutput: { error: mockError.value.trim(), cause: mockCause.value } };
      const n = Number(retries.value);
      if (n > 0) req.stateConfiguration = { retrierRetryCount: n };
      return req;
    }

    function showAnswer(a) {
      const d = a.inspectionData || {};
      const stages = STAGES.filter(([k]) => d[k] !== undefined);
      const kv = (k, v) => h('span', { class: 'kv' }, h('b', {}, k), ' ', String(v));
      const http = (what, x) => (x ? h('div', { class: 'http', 'data-http': what }, h('h3', {}, what === 'request' ? 'HTTP request' : 'HTTP response'),
        h('p', {}, what === 'request' ? [x.method, ' ', x.url, ' ', x.protocol] : [x.protocol, ' ', x.statusCode, ' ', x.statusMessage]),
        x.headers ? h('pre', { 'data-part': 'headers' }, pretty(x.headers)) : null,
        x.body ? h('pre', { 'data-part': 'body' }, pretty(x.body)) : null) : null);
      const ed = d.errorDetails;
      resultBox.replaceChildren(...[
        h('p', { class: 'test-head' }, badge(a.status), a.nextState ? [' next state ', h('b', { class: 'next-state' }, a.nextState)] : ''),
        a.error ? h('p', { class: 'exec-error' }, h('b', { class: 'test-error' }, a.error), a.cause ? [': ', h('span', { class: 'test-cause' }, a.cause)] : '') : null,
        a.output !== undefined ? h('div', { class: 'test-output' }, h('h3', {}, 'Output'), h('pre', {}, pretty(a.output))) : null,
        ed ? h('p', { class: 'error-details' }, 'Error details: ',
          ed.retryIndex !== undefined ? kv('retrier', '#' + ed.retryIndex) : null,
          ed.retryBackoffIntervalSeconds !== undefined ? kv('next retry after', ed.retryBackoffIntervalSeconds + ' s') : null,
          ed.catchIndex !== undefined ? kv('catcher', '#' + ed.catchIndex) : null) : null,
        stages.length ? h('ol', { class: 'stages' }, stages.map(([k, label]) =>
          h('li', { 'data-stage': k }, h('h3', {}, label), h('pre', {}, pretty(d[k]))))) : null,
        ['maxConcurrency', 'toleratedFailureCount', 'toleratedFailurePercentage'].some((k) => d[k] !== undefined)
          ? h('p', { class: 'map-config' }, ['maxConcurrency', 'toleratedFailureCount', 'toleratedFailurePercentage']
            .filter((k) => d[k] !== undefined).map((k) => kv(k, d[k]))) : null,
        http('request', d.request), http('response', d.response),
      ].filter(Boolean));
      resultBox.dataset.status = a.status;
    }

    function showError(err) {
      resultBox.replaceChildren(...errorView(err, 'test-refused'));
      resultBox.dataset.status = 'refused';
    }

    async function submit(ev) {
      ev.preventDefault();
      run.disabled = true;
      delete resultBox.dataset.status;
      resultBox.replaceChildren(h('p', { class: 'muted' }, 'Running ' + state.value + '…'));
      try {
        showAnswer(await api('/test-state', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(request()) }));
      } catch (err) {
        if (err instanceof APIError && err.status === 401) return login();
        showError(err);
      } finally {
        run.disabled = false;
      }
    }

    const form = h('form', { class: 'test-form', onsubmit: submit },
      h('div', { class: 'row' }, field('State', state), field('Inspection level', level, 'DEBUG shows each stage; TRACE adds HTTP'), field('Reveal secrets', reveal)),
      field('Input (JSON)', input),
      h('details', {}, h('summary', {}, 'Variables, context, mock, retries'),
        field('Variables (JSON object)', variables), field('Context object $$ (JSON)', context),
        h('div', { class: 'row' }, field('Mock', mockKind), field('Field validation', validation), field('Retries already made', retries)),
        resultFields, errorFields),
      h('div', { class: 'actions' }, run));
    const panel = h('section', { class: 'panel test-state', id: 'test-state' },
      h('div', { class: 'panel-head' }, h('h2', {}, 'Test a state'),
        h('span', { class: 'muted' }, 'Runs one state alone (nothing is stored; HTTP Tasks call for real unless mocked). Needs the admin role. Click a state in the graph to pick it.')),
      states.length ? [form, resultBox] : h('p', { class: 'muted' }, 'This definition has no states.'));
    showMock();
    return {
      panel,
      pick(name) {
        if (!states.some((e) => e.name === name)) return;
        state.value = name;
        panel.scrollIntoView({ block: 'nearest' });
      },
    };
  }

  // ---- one execution -------------------------------------------------------
  const DETAIL_SKIP = new Set(['id', 'previousEventId', 'timestamp', 'type', 'name', 'input', 'output', 'parameters']);

  function historyRow(e, owner) {
    const details = [];
    for (const k in e) {
      if (DETAIL_SKIP.has(k)) continue;
      details.push(h('span', { class: 'kv' }, h('b', {}, k), ' ', typeof e[k] === 'string' ? e[k] : JSON.stringify(e[k])));
    }
    const kind = /Failed$|TimedOut$|Aborted$/.test(e.type) ? 'ev-bad' : /Succeeded$|Exited$/.test(e.type) ? 'ev-good' : '';
    return h('tr', { class: 'ev ' + kind, 'data-event-id': e.id, 'data-type': e.type, 'data-state': owner === undefined ? '' : owner },
      h('td', { class: 'num' }, e.id),
      h('td', { class: 'time' }, fmtTime(e.timestamp)),
      h('td', {}, e.type),
      h('td', {}, owner === undefined ? '' : owner),
      h('td', { class: 'details' }, details, dataBlock('input', e.input), dataBlock('parameters', e.parameters), dataBlock('output', e.output)));
  }

  // processorOf finds, in a definition, the processor of the distributed
  // Map a Map Run child runs: the Map whose Label is label (or the only
  // unlabelled distributed Map, whose runs are labelled with their id).
  function processorOf(def, label) {
    const maps = [];
    (function walk(m) {
      for (const name in (m && m.States) || {}) {
        const st = m.States[name];
        const proc = st.ItemProcessor || st.Iterator;
        if (st.Type === 'Map' && proc && proc.ProcessorConfig && proc.ProcessorConfig.Mode === 'DISTRIBUTED') maps.push(st);
        (st.Branches || []).forEach(walk);
        if (proc) walk(proc);
      }
    })(def);
    const m = maps.find((x) => x.Label === label) || (maps.filter((x) => !x.Label).length === 1 ? maps.find((x) => !x.Label) : null);
    return m ? m.ItemProcessor || m.Iterator : null;
  }

  const countNames = ['pending', 'running', 'succeeded', 'failed', 'timedOut', 'aborted', 'total'];
  const countHead = () => countNames.map((k) => h('th', { class: 'num' }, k === 'timedOut' ? 'timed out' : k));
  const countCells = (c) => countNames.map((k) => h('td', { class: 'num', 'data-count': k }, String((c || {})[k] || 0)));

  // mapRunsTable shows Map Runs with their children counted by status.
  function mapRunsTable(runs) {
    return h('table', { class: 'list map-runs' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Map Run'), h('th', {}, 'Status'), countHead(), h('th', {}, 'Started'), h('th', {}, 'Duration'))),
      h('tbody', {}, runs.map((m) => h('tr', { 'data-map-run': m.id },
        h('td', {}, h('a', { href: '#/maprun/' + enc(m.id) }, m.label), h('span', { class: 'muted' }, ' ' + m.id.slice(0, 8))),
        h('td', {}, badge(m.status)), countCells(m.executionCounts),
        h('td', {}, fmtTime(m.startedAt)), h('td', {}, since(m.startedAt, m.stoppedAt))))));
  }

  async function executionPage(id) {
    let ex = await api('/executions/' + enc(id));
    let def = null;
    try {
      const [sm, label] = String(ex.stateMachine).split('/');
      def = (await api('/state-machines/' + enc(sm) + '/versions/' + ex.version)).definition;
      if (label !== undefined) def = processorOf(def, label); // a Map Run child runs the Map's processor
    } catch (err) {
      if (err instanceof APIError && err.status === 401) throw err;
    }
    const runsBox = h('div', {});
    async function loadRuns() {
      const r = await api('/executions/' + enc(id) + '/map-runs');
      const runs = r.mapRuns || [];
      runsBox.replaceChildren(...(runs.length ? [h('section', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h2', {}, 'Map Runs')), mapRunsTable(runs))] : []));
    }
    try { await loadRuns(); } catch (err) { if (err instanceof APIError && err.status === 401) throw err; }
    const head = h('div', { class: 'exec-head' });
    const svg = def ? SFNGraph.draw(def) : null;
    const rows = h('tbody', {});
    const filterNote = h('span', { class: 'muted' });
    const events = [];
    const owners = new Map();
    let selected = null;

    function select(state) {
      selected = selected === state ? null : state;
      rows.querySelectorAll('tr').forEach((tr) => { tr.hidden = selected !== null && tr.dataset.state !== selected; });
      if (svg) svg.querySelectorAll('g.node-state').forEach((n) => n.classList.toggle('selected', n.getAttribute('data-state') === selected));
      filterNote.textContent = selected === null ? '' : 'only events of ' + selected + ' (click it again for all)';
    }
    if (svg) svg.addEventListener('click', (ev) => {
      const n = ev.target.closest('g.node-state');
      if (n) select(n.getAttribute('data-state'));
    });

    function drawHead() {
      // replaceChildren would print a null as "null": drop them first.
      head.replaceChildren(...[
        h('h2', {}, ex.name, ' ', badge(ex.status)),
        // A mocked execution says so first: its mocked calls were not made.
        ex.testCase ? h('p', { class: 'mocked' }, 'Mocked: test case ', h('b', {}, ex.testCase),
          ' of the server\'s mock configuration; the calls it mocks were not made') : null,
        ex.parentExecutionId ? h('p', { class: 'parent' }, 'Started by ', h('a', { href: '#/exec/' + enc(ex.parentExecutionId) }, ex.parentExecutionId),
          ex.mapRunArn ? [' · Map Run ', h('a', { href: '#/maprun/' + enc(ex.mapRunArn.split(':').pop()) }, ex.mapRunArn.split(':').slice(-2).join(':'))] : '') : null,
        h('p', {}, machineLink(ex.stateMachine, ex.version), ' v' + ex.version,
          ' · started ' + fmtTime(ex.startedAt), ex.stoppedAt ? ' · stopped ' + fmtTime(ex.stoppedAt) : '',
          ' · ' + since(ex.startedAt, ex.stoppedAt), ex.redriveCount ? ' · redriven ' + ex.redriveCount + '×' : ''),
        ex.error ? h('p', { class: 'exec-error' }, h('b', {}, ex.error), ex.cause ? ': ' + ex.cause : '') : null,
        h('div', { class: 'actions' },
          ex.status === 'RUNNING' ? h('button', { type: 'button', onclick: () => act('stop') }, 'Stop') : null,
          ex.status !== 'RUNNING' && ex.status !== 'SUCCEEDED' ? h('button', { type: 'button', onclick: () => act('redrive') }, 'Redrive') : null,
          dataBlock('Execution input', ex.input), dataBlock('Execution output', ex.output)),
      ].filter(Boolean));
    }
    async function act(what) {
      if (what === 'stop' && !confirm('Stop execution ' + ex.name + '?')) return;
      try {
        ex = await api('/executions/' + enc(id) + '/' + what, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
        drawHead();
        if (what === 'redrive') route();
      } catch (err) {
        alert(err.message);
      }
    }
    function add(batch) {
      for (const e of batch) {
        if (owners.has(e.id)) continue;
        let o = owners.get(e.previousEventId);
        if (/State(Entered|Exited|Aborted)$/.test(e.type) && typeof e.name === 'string') o = e.name;
        owners.set(e.id, o);
        events.push(e);
        const tr = historyRow(e, o);
        if (selected !== null && o !== selected) tr.hidden = true;
        rows.appendChild(tr);
      }
      if (svg) SFNGraph.paint(svg, SFNGraph.statuses(events, ex.status));
    }

    main.replaceChildren(h('section', { class: 'panel' }, head,
      svg ? h('div', { class: 'graph-box' }, svg) : h('p', { class: 'muted' }, 'The definition of this version is gone; the history is below.'),
      h('ul', { class: 'legend' }, ['notreached', 'running', 'succeeded', 'retried', 'caught', 'failed', 'aborted'].map((s) =>
        h('li', { class: 'st-' + s }, h('i', {}), s === 'notreached' ? 'not reached' : s)))),
    runsBox,
    h('section', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h2', {}, 'History'), filterNote),
      h('table', { class: 'list history' },
        h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'Time'), h('th', {}, 'Event'), h('th', {}, 'State'), h('th', {}, 'Details'))),
        rows)));
    drawHead();
    if (svg) SFNGraph.paint(svg, SFNGraph.statuses([], ex.status));
    const followed = follow(id, add, async () => {
      try { ex = await api('/executions/' + enc(id)); } catch (_) { return false; }
      drawHead();
      if (svg) SFNGraph.paint(svg, SFNGraph.statuses(events, ex.status));
      return ex.status !== 'RUNNING';
    }, () => (events.length ? events[events.length - 1].id : 0));
    // The Map Runs' counts move without events in this history.
    const runs = every(3000, () => (ex.status === 'RUNNING' || runsBox.querySelector('.b-running') ? loadRuns() : null));
    live = { stop() { followed.stop(); runs.stop(); } };
  }

  // ---- one Map Run ---------------------------------------------------------
  async function mapRunPage(id) {
    const head = h('div', {});
    const box = h('div', { class: 'panel-body' });
    const more = h('button', { type: 'button', hidden: true, onclick: () => loadKids(more.dataset.cursor) }, 'More');
    let kids = [];
    let m = null;
    async function loadRun() {
      m = await api('/map-runs/' + enc(id));
      const conc = m.maxConcurrency ? String(m.maxConcurrency) : 'no limit';
      head.replaceChildren(
        h('h2', {}, 'Map Run ', m.label, ' ', badge(m.status)),
        h('p', {}, 'Of ', h('a', { href: '#/exec/' + enc(m.executionId) }, m.executionId), ' · children run ', m.childStateMachine,
          ' · started ' + fmtTime(m.startedAt), m.stoppedAt ? ' · stopped ' + fmtTime(m.stoppedAt) : '', ' · ' + since(m.startedAt, m.stoppedAt)),
        h('p', { class: 'muted' }, 'max concurrency ' + conc + ' · tolerated failures ' + m.toleratedFailurePercentage + '% or ' + m.toleratedFailureCount,
          ' · ', m.arn),
        h('table', { class: 'list counts' }, h('thead', {}, h('tr', {}, h('th', {}, ''), countHead())),
          h('tbody', {}, h('tr', {}, h('td', {}, 'child executions'), countCells(m.executionCounts)))));
    }
    async function loadKids(cursor) {
      const q = new URLSearchParams({ limit: '100' });
      if (cursor) q.set('cursor', cursor);
      const r = await api('/map-runs/' + enc(id) + '/executions?' + q);
      kids = cursor ? kids.concat(r.executions || []) : r.executions || [];
      box.replaceChildren(kids.length ? executionsTable(kids) : h('p', { class: 'muted' }, 'No child executions started yet.'));
      more.hidden = !r.nextCursor;
      more.dataset.cursor = r.nextCursor || '';
    }
    await loadRun();
    await loadKids();
    main.replaceChildren(h('section', { class: 'panel' }, head),
      h('section', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h2', {}, 'Child executions')), box, more));
    live = every(3000, async () => {
      if (m.status !== 'RUNNING') return;
      await loadRun();
      if (!more.dataset.cursor) await loadKids();
    });
  }

  // ---- schedules and notifications ------------------------------------------
  // pagedList shows the pages of a list at path (key: the answer's array)
  // in box, the More button adding the next page; refresh reloads the
  // first page while only one is shown.
  function pagedList(path, key, limit, render, empty) {
    const box = h('div', {});
    const more = h('button', { type: 'button', hidden: true, onclick: () => load(more.dataset.cursor).catch(fail) }, 'More');
    let shown = [];
    async function load(cursor) {
      const q = new URLSearchParams({ limit: String(limit) });
      if (cursor) q.set('cursor', cursor);
      const r = await api(path + '?' + q);
      shown = cursor ? shown.concat(r[key] || []) : r[key] || [];
      box.replaceChildren(shown.length ? await render(shown) : h('p', { class: 'muted' }, empty));
      more.hidden = !r.nextCursor;
      more.dataset.cursor = r.nextCursor || '';
    }
    return { box, more, load, refresh: () => (more.dataset.cursor ? null : load()) };
  }

  // post sends a JSON body; act runs it for a button, showing a refusal in
  // box (a 401 asks for the token).
  const post = (path, body) => api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body || {}) });
  async function act(box, f) {
    box.replaceChildren(h('p', { class: 'muted' }, 'Working…'));
    try {
      box.replaceChildren(...[await f()].flat().filter(Boolean));
    } catch (err) {
      if (err instanceof APIError && err.status === 401) return login();
      box.replaceChildren(...errorView(err, 'action-error'));
    }
  }

  const scheduleStatus = (s) => (s.paused ? 'PAUSED' : s.state);
  const total = (o) => Object.values(o || {}).reduce((a, b) => a + b, 0);
  const isoSecond = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

  // targetView names a schedule's target: its state machine (linked) and
  // which version it starts.
  function targetView(t) {
    t = t || {};
    const which = t.version ? 'version ' + t.version : t.publishedVersion ? 'published version ' + t.publishedVersion : t.alias ? 'alias ' + t.alias : 'latest';
    return [h('a', { href: '#/sm/' + enc(t.stateMachine) + (t.version ? '/' + t.version : '') }, t.stateMachine), h('span', { class: 'muted' }, ' ' + which)];
  }

  // inZone prints t as the wall clock of zone shows it ('' for a zone
  // this browser does not know).
  function inZone(t, zone) {
    try {
      return new Intl.DateTimeFormat('sv-SE', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
        hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(new Date(t));
    } catch (_) {
      return '';
    }
  }

  function nextFire(s) {
    if (!s.nextFireAt) return h('span', { class: 'muted' }, 'none left');
    const local = s.timezone && s.timezone !== 'UTC' ? inZone(s.nextFireAt, s.timezone) : '';
    return [h('span', { class: 'next-fire' }, fmtTime(s.nextFireAt)), h('span', { class: 'muted' }, ' ' + until(s.nextFireAt)),
      local ? h('span', { class: 'muted local' }, ' · ' + local + ' ' + s.timezone) : null];
  }

  function schedulesTable(rows) {
    return h('table', { class: 'list schedules' },
      h('thead', {}, h('tr', {}, ['Schedule', 'Expression', 'Target', 'Status', 'Next fire (UTC)', 'Fired', 'Skipped'].map((c) => h('th', {}, c)))),
      h('tbody', {}, rows.map((s) => h('tr', { 'data-schedule': s.name, 'data-status': scheduleStatus(s) },
        h('td', {}, h('a', { href: '#/schedule/' + enc(s.name) }, s.name)),
        h('td', {}, h('code', {}, s.expression), h('span', { class: 'muted' }, ' ' + s.timezone)),
        h('td', {}, targetView(s.target)),
        h('td', {}, badge(scheduleStatus(s)), s.paused && s.note ? h('span', { class: 'note' }, ' ' + s.note) : null),
        h('td', { class: 'time' }, nextFire(s)),
        h('td', { class: 'num', 'data-count': 'fired' }, String(s.fired)),
        h('td', { class: 'num', 'data-count': 'skipped', title: Object.keys(s.skipped || {}).sort().map((k) => k + ' ' + s.skipped[k]).join(', ') }, String(total(s.skipped)))))));
  }

  async function schedulesPage() {
    const list = pagedList('/schedules', 'schedules', 100, schedulesTable, 'No schedules yet: PUT /v1/schedules/{name}, or sfn schedule create.');
    await list.load();
    main.replaceChildren(h('section', { class: 'panel' },
      h('div', { class: 'panel-head' }, h('h2', {}, 'Schedules'), h('span', { class: 'muted' }, 'Each starts executions of its target on its expression, in its time zone.')),
      list.box, list.more));
    live = every(5000, list.refresh);
  }

  // props is a two-column table of a record's fields.
  const props = (rows) => h('table', { class: 'props' }, h('tbody', {}, rows.filter(Boolean).map(([k, ...v]) =>
    h('tr', { 'data-prop': k }, h('th', {}, k), h('td', {}, v)))));

  function slotsTable(rows, cls) {
    return h('table', { class: 'list ' + cls },
      h('thead', {}, h('tr', {}, h('th', {}, 'Slot (UTC)'), h('th', {}, 'Kind'), h('th', {}, 'Execution'))),
      h('tbody', {}, rows.map((p) => h('tr', {}, h('td', { class: 'time' }, fmtTime(p.slot)), h('td', {}, p.kind), h('td', {}, p.executionName)))));
  }

  function startsTable(rows) {
    return h('table', { class: 'list schedule-executions' },
      h('thead', {}, h('tr', {}, ['Slot (UTC)', 'Kind', 'Execution', 'Started', 'Node', ''].map((c) => h('th', {}, c)))),
      h('tbody', {}, rows.map((r) => h('tr', { 'data-execution': r.executionId },
        h('td', { class: 'time' }, fmtTime(r.slot)), h('td', {}, r.kind),
        h('td', {}, h('a', { href: '#/exec/' + enc(r.executionId) }, r.executionId)),
        h('td', { class: 'time' }, fmtTime(r.startedAt)), h('td', {}, r.node || ''),
        h('td', {}, r.existing ? h('span', { class: 'found', title: 'The execution existed already: this slot had fired before' }, 'found') : null,
          r.stoppedExecutionId ? [' stopped ', h('a', { href: '#/exec/' + enc(r.stoppedExecutionId) }, r.stoppedExecutionId), ' to make way'] : null)))));
  }

  function queuedNote(queued) {
    const n = queued.length;
    return h('p', { class: 'queued-note' }, n === 1 ? 'Queued slot ' : 'Queued ' + n + ' slots: ', queued.slice(0, 10).map((p) => p.executionName).join(', '),
      n > 10 ? ', …' : '', '. The schedule\'s node starts them within a second.');
  }

  async function schedulePage(name) {
    const path = '/schedules/' + enc(name);
    let s = await api(path);
    const head = h('div', { class: 'exec-head' });
    const body = h('div', {});
    const result = h('div', { class: 'action-result' });
    // The controls are made once, so that what is typed survives the refreshes.
    const note = h('input', { name: 'note', size: 36, maxlength: 512, placeholder: 'why (shown with the schedule)', 'aria-label': 'note' });
    const run = (f) => act(result, async () => {
      const r = await f();
      if (r) s = r.schedule || r;
      draw();
      // A trigger's or backfill's answer: the slots queued, and the schedule.
      return r && r.schedule ? queuedNote(r.queued) : null;
    });
    const pause = h('form', { class: 'inline pause-form', onsubmit: (ev) => {
      ev.preventDefault();
      run(async () => {
        const r = await post(path + '/pause', { note: note.value.trim() });
        note.value = '';
        return r;
      });
    } }, note, ' ', h('button', { type: 'submit' }, 'Pause'));
    const resume = h('button', { type: 'button', class: 'resume', onclick: () => run(() => post(path + '/resume')) }, 'Resume');
    const trigger = h('button', { type: 'button', class: 'trigger', onclick: () => run(() => post(path + '/trigger')) }, 'Trigger now');
    const from = h('input', { name: 'from', size: 21, value: isoSecond(Date.now() - 86400000), 'aria-label': 'from' });
    const to = h('input', { name: 'to', size: 21, value: isoSecond(Date.now()), 'aria-label': 'to' });
    const backfill = h('form', { class: 'inline backfill-form', onsubmit: (ev) => {
      ev.preventDefault();
      run(() => post(path + '/backfill', { from: from.value.trim(), to: to.value.trim() }));
    } }, 'Backfill the slots from ', from, ' to ', to, ' ', h('button', { type: 'submit' }, 'Backfill'));
    const remove = h('button', { type: 'button', class: 'delete', onclick: () => {
      if (!confirm('Delete schedule ' + name + '? The executions it started go on.')) return;
      act(result, async () => {
        await api(path, { method: 'DELETE' });
        location.hash = '#/schedules';
      });
    } }, 'Delete');

    function draw() {
      const status = scheduleStatus(s);
      pause.hidden = s.paused;
      resume.hidden = !s.paused;
      head.replaceChildren(...[
        h('h2', {}, s.name, ' ', badge(status)),
        s.description ? h('p', { class: 'comment' }, s.description) : null,
        s.paused ? h('p', { class: 'paused-note' }, 'Paused', s.pausedAt ? ' at ' + fmtTime(s.pausedAt) : '', s.note ? [': ', h('span', { class: 'note' }, s.note)] : '',
          '. Its slots are skipped until resumed; triggers and backfills still fire.') : null,
        h('p', {}, 'Next fire ', nextFire(s), s.nextSlot && s.nextSlot !== s.nextFireAt ? h('span', { class: 'muted' }, ' (slot ' + fmtTime(s.nextSlot) + ')') : null,
          ' · fired ', h('b', { 'data-count': 'fired' }, String(s.fired)), ' · skipped ', h('b', { 'data-count': 'skipped' }, String(total(s.skipped)))),
        s.lastError ? h('p', { class: 'exec-error last-error' }, 'Last error', s.lastErrorAt ? ' (' + fmtTime(s.lastErrorAt) + ')' : '', ': ', s.lastError) : null,
        h('div', { class: 'actions' }, pause, resume, trigger, remove),
        h('div', { class: 'actions' }, backfill),
        result,
      ].filter(Boolean));
      const flex = s.flexibleTimeWindow || {};
      const skipped = Object.keys(s.skipped || {}).sort();
      body.replaceChildren(
        h('section', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h2', {}, 'Definition')),
          props([
            ['Expression', h('code', {}, s.expression)],
            ['Time zone', s.timezone],
            ['Target', targetView(s.target)],
            ['Input', s.input === undefined ? h('span', { class: 'muted' }, '{} (none given)') : dataBlock('JSON', s.input)],
            ['State', s.state],
            ['Overlap policy', s.overlapPolicy],
            ['Catch-up window', dur(s.catchupWindowSeconds * 1000), h('span', { class: 'muted' }, ' (' + s.catchupWindowSeconds + ' s)')],
            ['Flexible window', flex.mode === 'FLEXIBLE' ? 'up to ' + flex.maximumWindowInMinutes + ' min late' : 'OFF'],
            ['Start date', s.startDate ? fmtTime(s.startDate) : h('span', { class: 'muted' }, 'none')],
            ['End date', s.endDate ? fmtTime(s.endDate) : h('span', { class: 'muted' }, 'none')],
            ['Created', fmtTime(s.createdAt)],
            ['Updated', fmtTime(s.updatedAt)],
          ])),
        h('section', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h2', {}, 'Slots')),
          h('h3', {}, 'Skipped, by reason'),
          skipped.length ? props(skipped.map((k) => [k, h('span', { 'data-skipped': k }, String(s.skipped[k]))])) : h('p', { class: 'muted' }, 'None skipped.'),
          h('h3', {}, 'Queued (triggered or backfilled)'),
          (s.queued || []).length ? slotsTable(s.queued, 'queued') : h('p', { class: 'muted' }, 'None.'),
          h('h3', {}, 'Buffered (waiting for the running execution)'),
          (s.buffered || []).length ? slotsTable(s.buffered, 'buffered') : h('p', { class: 'muted' }, 'None.')),
        h('section', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h2', {}, 'Recent executions'), h('span', { class: 'muted' }, 'the last 20 started, newest first')),
          (s.recentExecutions || []).length ? startsTable(s.recentExecutions) : h('p', { class: 'muted' }, 'None started yet.')));
    }
    draw();
    main.replaceChildren(h('section', { class: 'panel' }, head), body);
    live = every(3000, async () => {
      s = await api(path);
      draw();
    });
  }

  // ---- notifications ---------------------------------------------------------
  const filterText = (xs, all) => ((xs || []).length ? xs.join(', ') : h('span', { class: 'muted' }, all));
  const enabledBadge = (e) => badge(e.enabled ? 'ENABLED' : 'DISABLED');
  const deliveryNames = [['delivered', 'delivered'], ['deadLetters', 'dead letters'], ['dropped', 'dropped']];

  // endpointsTable lists endpoints with their deliveries' counts (each
  // endpoint read on its own: the list carries no counts).
  async function endpointsTable(rows) {
    const full = await Promise.all(rows.map((e) => api('/notification-endpoints/' + enc(e.name)).catch(() => e)));
    return h('table', { class: 'list endpoints' },
      h('thead', {}, h('tr', {}, ['Endpoint', 'URL', 'State machines', 'Statuses', 'State', 'Signed'].map((c) => h('th', {}, c)),
        deliveryNames.map(([, label]) => h('th', { class: 'num' }, label)))),
      h('tbody', {}, full.map((e) => h('tr', { 'data-endpoint': e.name },
        h('td', {}, h('a', { href: '#/notification/' + enc(e.name) }, e.name)),
        h('td', {}, h('code', {}, e.url)),
        h('td', {}, filterText(e.stateMachines, 'all')), h('td', {}, filterText(e.statuses, 'all')),
        h('td', {}, enabledBadge(e)), h('td', {}, e.secretSet ? 'HMAC' : h('span', { class: 'muted' }, 'no')),
        deliveryNames.map(([k]) => h('td', { class: 'num', 'data-count': k }, e.delivery ? String(e.delivery[k]) : ''))))));
  }

  async function endpointsPage() {
    const list = pagedList('/notification-endpoints', 'endpoints', 100, endpointsTable, 'No webhook endpoints: PUT /v1/notification-endpoints/{name}.');
    await list.load();
    main.replaceChildren(h('section', { class: 'panel' },
      h('div', { class: 'panel-head' }, h('h2', {}, 'Notification endpoints'), h('span', { class: 'muted' }, 'Webhooks sent on executions\' status changes; secrets are never shown.')),
      list.box, list.more));
    live = every(5000, list.refresh);
  }

  function redeliveredNote(r) {
    return [
      h('p', { class: 'redelivered-note' }, 'Delivered again: ' + r.redelivered.length, r.failed.length ? ' · failed again: ' + r.failed.length : '',
        r.notFound.length ? ' · gone already: ' + r.notFound.length : ''),
      r.failed.length ? h('ul', { class: 'problems' }, r.failed.map((f) => h('li', {}, f.id + ': ' + f.error))) : null,
    ];
  }

  async function endpointPage(name) {
    const path = '/notification-endpoints/' + enc(name);
    let e = await api(path);
    const head = h('div', { class: 'exec-head' });
    const result = h('div', { class: 'action-result' });
    const again = (ids) => act(result, async () => {
      const r = await post(path + '/dead-letters/redeliver', { ids });
      await Promise.all([letters.load(), reload()]);
      return redeliveredNote(r);
    });
    const letters = pagedList(path + '/dead-letters', 'deadLetters', 100, (rows) => h('table', { class: 'list dead-letters' },
      h('thead', {}, h('tr', {}, ['Changed (UTC)', 'Execution', 'Status', 'Attempts', 'First attempt', 'Last attempt', 'Last error', ''].map((c) => h('th', {}, c)))),
      h('tbody', {}, rows.map((l) => h('tr', { 'data-dead-letter': l.id },
        h('td', { class: 'time' }, fmtTime(l.time)),
        h('td', {}, h('a', { href: '#/exec/' + enc(l.executionId) }, l.executionId)),
        h('td', {}, badge(l.status)), h('td', { class: 'num' }, String(l.attempts)),
        h('td', { class: 'time' }, fmtTime(l.firstAttemptAt)), h('td', { class: 'time' }, fmtTime(l.lastAttemptAt)),
        h('td', { class: 'exec-error' }, l.lastError),
        h('td', {}, h('button', { type: 'button', class: 'redeliver', onclick: () => again([l.id]) }, 'Deliver again')))))),
    'No dead letters: every event was delivered, or is still being tried.');
    const all = h('button', { type: 'button', class: 'redeliver-all', onclick: () => again([]) }, 'Deliver the oldest 100 again');
    function draw() {
      const d = e.delivery || {};
      head.replaceChildren(...[
        h('h2', {}, e.name, ' ', enabledBadge(e)),
        h('p', {}, 'POST ', h('code', {}, e.url), e.secretSet ? ' · signed (HMAC-SHA256; the secret is write-only)' : ' · unsigned'),
        h('p', {}, 'State machines: ', filterText(e.stateMachines, 'all'), ' · statuses: ', filterText(e.statuses, 'all'),
          h('span', { class: 'muted' }, ' · created ' + fmtTime(e.createdAt) + ' · updated ' + fmtTime(e.updatedAt))),
        h('p', { class: 'delivery' }, deliveryNames.map(([k, label], i) => [i ? ' · ' : '', label + ' ', h('b', { 'data-count': k }, String(d[k] || 0))]),
          d.lastDeliveredAt ? ' · last delivered ' + fmtTime(d.lastDeliveredAt) : ''),
        d.lastError ? h('p', { class: 'exec-error last-error' }, 'Last error', d.lastErrorAt ? ' (' + fmtTime(d.lastErrorAt) + ')' : '', ': ', d.lastError) : null,
      ].filter(Boolean));
    }
    async function reload() {
      e = await api(path);
      draw();
    }
    await letters.load();
    draw();
    main.replaceChildren(h('section', { class: 'panel' }, head),
      h('section', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h2', {}, 'Dead letters'),
        h('span', { class: 'muted' }, 'events given up on, oldest first; delivered again now, once each'), all),
      result, letters.box, letters.more));
    live = every(5000, async () => {
      await reload();
      await letters.refresh();
    });
  }

  // follow reads the execution's Server-Sent Events with fetch (so that the
  // Authorization header goes along; EventSource cannot send one), resuming
  // with Last-Event-ID after a dropped connection. Without streaming
  // fetch, it polls the history instead.
  function follow(id, onEvents, onStatus, lastID) {
    let stopped = false, ctrl = null, timer = null;
    const streaming = typeof ReadableStream !== 'undefined' && typeof TextDecoder !== 'undefined';
    async function stream() {
      ctrl = new AbortController();
      const hdr = Object.assign({ Accept: 'text/event-stream' }, headers());
      if (lastID()) hdr['Last-Event-ID'] = String(lastID());
      const res = await fetch(API + '/executions/' + enc(id) + '/events', { headers: hdr, signal: ctrl.signal, cache: 'no-store' });
      if (!res.ok || !res.body) throw new APIError(res.status, null);
      const reader = res.body.getReader(), dec = new TextDecoder();
      let buf = '', final = false;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let cut;
        const batch = [];
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
          if (!data) continue;
          try {
            const e = JSON.parse(data);
            batch.push(e);
            if (/^Execution(Succeeded|Failed|TimedOut|Aborted)$/.test(e.type)) final = true;
          } catch (_) { /* a malformed message: skip it */ }
        }
        if (batch.length) onEvents(batch);
      }
      return final;
    }
    // poll re-reads the history page by page; onEvents skips what it has.
    async function poll() {
      let cursor = '';
      do {
        const q = new URLSearchParams({ limit: '1000' });
        if (cursor) q.set('cursor', cursor);
        const r = await api('/executions/' + enc(id) + '/history?' + q);
        onEvents(r.events || []);
        cursor = r.nextCursor || '';
      } while (cursor);
    }
    async function run() {
      while (!stopped) {
        let ended = false;
        try {
          if (streaming) ended = await stream();
          else await poll();
        } catch (err) {
          if (stopped) return;
          if (err instanceof APIError && err.status === 401) return login();
        }
        if (stopped) return;
        // Re-read the status: after the final event it is the end; after a
        // dropped stream (another node went away) reconnect.
        if (await onStatus() || ended) return;
        await new Promise((r) => { timer = setTimeout(r, streaming ? 2000 : 3000); });
      }
    }
    run();
    return { stop() { stopped = true; clearTimeout(timer); if (ctrl) ctrl.abort(); } };
  }

  document.getElementById('forget').addEventListener('click', () => { sessionStorage.removeItem('sfn.token'); route(); });
  route();
})();
