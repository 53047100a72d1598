// The DDO run inspector: recent runs, and for one run its timeline, plan, steps, tokens and
// answer, live while it runs. Plain browser JavaScript with no dependencies and no build step.
// Everything from the server goes into the page as text nodes, never parsed as HTML.
'use strict';

(() => {
  const KEY_STORE = 'ddo.apiKey';
  const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
  const RUNS_REFRESH_MS = 5_000;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);

  /** Builds an element (`svg:` names an SVG one) with attributes and text or node children. */
  function h(tag, attrs, ...children) {
    const el = tag.startsWith('svg:')
      ? document.createElementNS(SVG_NS, tag.slice(4))
      : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== undefined && v !== null) el.setAttribute(k, String(v));
    }
    for (const c of children.flat()) {
      if (c !== undefined && c !== null) el.append(c instanceof Node ? c : String(c));
    }
    return el;
  }

  const ms = (from, to) => (from && to ? Date.parse(to) - Date.parse(from) : undefined);
  const duration = (n) => {
    if (n === undefined || !Number.isFinite(n)) return '';
    return n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(2)} s`;
  };
  const clock = (at) => (at ? new Date(at).toLocaleTimeString(undefined, { hour12: false }) : '');
  const json = (value, max = 4000) => {
    const text = JSON.stringify(value, null, 2) ?? '';
    if (text.length <= max) return text;
    return `${text.slice(0, max)}\n… (${text.length - max} more characters)`;
  };
  const badge = (status) => h('span', { class: `badge ${status}` }, status);
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const table = (heads, rows) =>
    h('table', {},
      h('thead', {}, h('tr', {}, heads.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows));

  // ---- The API key: asked once, kept for this tab only, sent as a Bearer token.

  const key = () => sessionStorage.getItem(KEY_STORE);

  function showKeyForm(message) {
    $('key-form').hidden = false;
    $('key-set').hidden = true;
    $('key-error').textContent = message || '';
    $('runs-status').textContent = 'Enter the API key to see runs.';
  }

  async function api(path, init = {}) {
    const headers = { ...init.headers, authorization: `Bearer ${key()}` };
    const res = await fetch(path, { ...init, headers });
    if (res.status === 401) {
      sessionStorage.removeItem(KEY_STORE);
      showKeyForm('The server refused that key. Enter a valid API key.');
    }
    if (!res.ok) {
      const problem = await res.json().catch(() => ({}));
      const err = new Error(problem.detail || `HTTP ${res.status}`);
      throw Object.assign(err, { status: res.status });
    }
    return res;
  }

  // ---- Recent runs.

  let current;

  async function loadRuns() {
    if (!key()) return;
    try {
      const { runs } = await (await api('/v1/runs?limit=50')).json();
      updateRunsList(runs);
      $('runs-status').textContent = runs.length ? '' : 'No runs yet.';
    } catch (err) {
      $('runs-status').textContent = `Could not load runs: ${err.message}`;
    }
  }

  /**
   * Updates the list in place: existing links stay the same elements, so keyboard focus
   * survives the periodic refresh; new runs are inserted and vanished ones removed.
   */
  function updateRunsList(runs) {
    const list = $('runs-list');
    const existing = new Map([...list.children].map((li) => [li.dataset.runId, li]));
    let cursor = list.firstElementChild;
    for (const r of runs) {
      const li = existing.get(r.runId) || h('li', { 'data-run-id': r.runId },
        h('a', { href: `#/runs/${r.runId}` }, badge(r.status), ' ', r.agentId, ' · ',
          clock(r.createdAt), h('span', { class: 'id' }, r.runId)));
      const status = li.querySelector('.badge');
      if (status.textContent !== r.status) status.replaceWith(badge(r.status));
      li.firstElementChild.setAttribute('aria-current', String(current?.runId === r.runId));
      if (li === cursor) cursor = cursor.nextElementSibling;
      else list.insertBefore(li, cursor);
      existing.delete(r.runId);
    }
    for (const gone of existing.values()) gone.remove();
  }

  // ---- One run: its record, its event log streamed live, and the page built from both.

  function openRun(runId) {
    if (current) current.controller.abort();
    if (!ID_RE.test(runId)) return;
    current = { runId, controller: new AbortController(), entries: [], view: null, said: '' };
    $('run-title').textContent = `Run ${runId}`;
    $('run-empty').hidden = true;
    $('run-body').hidden = false;
    $('deltas').replaceChildren();
    $('deltas-section').hidden = true;
    $('log').replaceChildren();
    for (const a of document.querySelectorAll('#runs-list a')) {
      a.setAttribute('aria-current', String(a.getAttribute('href') === `#/runs/${runId}`));
    }
    const run = current;
    refreshView(run).then(() => follow(run)).catch((err) => {
      if (run.controller.signal.aborted) return;
      $('run-body').hidden = true;
      $('run-empty').hidden = false;
      $('run-empty').textContent = `Could not load the run: ${err.message}`;
    });
  }

  async function refreshView(run) {
    const url = `/v1/runs/${encodeURIComponent(run.runId)}`;
    const res = await api(url, { signal: run.controller.signal });
    run.view = await res.json();
    render(run);
  }

  let viewTimer;
  function refreshViewSoon(run) {
    clearTimeout(viewTimer);
    viewTimer = setTimeout(() => refreshView(run).catch(() => undefined), 150);
  }

  /** Reads the event stream with fetch (EventSource cannot send the key) until the run ends. */
  async function follow(run) {
    let lastId = '';
    for (let failures = 0; failures <= 5 && !run.controller.signal.aborted; failures += 1) {
      try {
        const url = `/v1/runs/${encodeURIComponent(run.runId)}/events`;
        const headers = lastId ? { 'last-event-id': lastId } : {};
        const res = await api(url, { headers, signal: run.controller.signal });
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, '\n');
          let end;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const lines = buffer.slice(0, end).split('\n');
            buffer = buffer.slice(end + 2);
            const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim());
            const id = lines.find((l) => l.startsWith('id:'));
            if (id) lastId = id.slice(3).trim();
            if (data.length) onEntry(run, JSON.parse(data.join('\n')));
          }
        }
        if (isFinished(run)) return;
      } catch (err) {
        if (run.controller.signal.aborted || (err.status && err.status < 500)) return;
      }
      // The stream broke before the final status: resume after the last entry seen.
      await new Promise((resolve) => setTimeout(resolve, 500 * (failures + 1)));
    }
  }

  const isFinished = (run) =>
    run.entries.some((e) => e.type === 'status' && e.status !== 'running');

  function onEntry(run, entry) {
    if (run !== current || run.entries.some((e) => e.seq === entry.seq)) return;
    run.entries.push(entry);
    if (entry.type === 'delta') return appendDelta(entry);
    $('log').append(h('li', {}, h('code', {}, `${clock(entry.at)} ${JSON.stringify(entry)}`)));
    // A plan, a step or the end changes the record (arguments, results, usage): read it again.
    const changesRecord = entry.type === 'step' || entry.type === 'status' || entry.phase === 'act';
    if (changesRecord) refreshViewSoon(run);
    render(run);
    if (isFinished(run)) loadRuns();
  }

  function appendDelta(entry) {
    $('deltas-section').hidden = false;
    const label = `Iteration ${entry.iteration}, ${entry.phase}`;
    let box = $('deltas').lastElementChild;
    if (!box || box.dataset.label !== label) {
      box = h('div', { class: 'deltas', 'data-label': label }, h('h4', {}, label), h('pre', {}));
      $('deltas').append(box);
    }
    box.querySelector('pre').append(document.createTextNode(String(entry.text || '')));
  }

  // ---- Rendering.

  function render(run) {
    const v = run.view;
    if (!v) return;
    const final = run.entries.findLast((e) => e.type === 'status' && e.status !== 'running');
    const status = final ? final.status : v.status;
    const phases = phasesOf(run.entries);
    const open = phases.find((p) => !p.end);
    const end = v.completedAt || (final ? final.at : undefined);
    const fact = (k, value) => [h('dt', {}, k), h('dd', {}, value)];
    $('run-facts').replaceChildren(
      ...fact('Status', badge(status)),
      ...fact('Agent', v.agentId),
      ...fact('Session', v.sessionId),
      ...fact('Started', new Date(v.createdAt).toLocaleString()),
      ...fact('Duration', end ? duration(ms(v.createdAt, end)) : 'still running'),
      ...fact('Iterations', String(v.iterations)),
    );
    const say = status === 'running'
      ? `Run is running${open ? `: ${open.phase} phase` : ''}.`
      : `Run ${status}.`;
    if (say !== run.said) $('run-live').textContent = run.said = say;
    renderTimeline(run, phases);
    renderPlan(run, status);
    renderPolicy(run);
    renderUsage(v.usage || {});
    const answer = status === 'failed' && v.error
      ? h('p', { class: 'answer failed' }, `${v.error.reason}: ${v.error.message}`)
      : typeof v.output === 'string'
        ? h('p', { class: 'answer' }, v.output)
        : h('p', { class: 'muted' }, 'No answer yet.');
    $('answer').replaceChildren(answer);
  }

  /** Phases with start and end, from the log: one ends when the next one, or the run, begins. */
  function phasesOf(entries) {
    const phases = [];
    let open;
    for (const e of entries) {
      if (e.type === 'phase') {
        if (open) open.end = e.at;
        open = { iteration: e.iteration, phase: e.phase, start: e.at, end: undefined };
        phases.push(open);
      } else if (e.type === 'status' && e.status !== 'running' && open) {
        open.end = e.at;
        open = undefined;
      }
    }
    return phases;
  }

  function renderTimeline(run, phases) {
    const now = new Date().toISOString();
    const longest = Math.max(1, ...phases.map((p) => ms(p.start, p.end || now)));
    const iterations = [...new Set(phases.map((p) => p.iteration))];
    const phaseItem = (p) => {
      const took = ms(p.start, p.end || now);
      const bar = h('span', { class: p.end ? 'bar' : 'bar open', 'aria-hidden': 'true' });
      // CSSOM, not a style attribute: the page's CSP allows no inline styles.
      bar.style.width = `${Math.max(1, (100 * took) / longest)}%`;
      const text = p.end ? duration(took) : 'running…';
      return h('li', {}, h('strong', {}, p.phase), h('span', {}, text), bar);
    };
    $('timeline').replaceChildren(...iterations.flatMap((i) => [
      h('h4', {}, `Iteration ${i}`),
      h('ol', { class: 'iteration', 'aria-label': `Iteration ${i} phases` },
        phases.filter((p) => p.iteration === i).map(phaseItem)),
      earlierSteps(run, i),
    ].filter(Boolean)));
  }

  const firstSeqOf = (run, i) =>
    (run.entries.find((e) => e.type === 'phase' && e.iteration === i) || { seq: Infinity }).seq;
  const planIteration = (run) =>
    (run.entries.findLast((e) => e.type === 'phase' && e.phase === 'act') || {}).iteration;

  /** An earlier iteration's steps, from the log alone (the record keeps only the latest plan). */
  function earlierSteps(run, iteration) {
    if (iteration === planIteration(run) && run.view.steps.length) return null;
    const from = firstSeqOf(run, iteration);
    const to = firstSeqOf(run, iteration + 1);
    const last = new Map();
    for (const e of run.entries) {
      if (e.type === 'step' && e.seq > from && e.seq < to) last.set(e.stepId, e);
    }
    if (!last.size) return null;
    return h('ul', { 'aria-label': `Iteration ${iteration} steps` }, [...last.values()].map((s) =>
      h('li', {}, `${s.stepId} ${s.tool} `, badge(s.status), ` ${duration(s.durationMs)}`)));
  }

  function renderPlan(run, status) {
    const steps = run.view.steps || [];
    if (!steps.length) {
      const why = status === 'running'
        ? 'No plan yet.'
        : 'No steps: the run answered without tools.';
      $('plan').replaceChildren(h('p', { class: 'muted' }, why));
      return;
    }
    const iteration = planIteration(run) ?? run.view.iterations;
    const row = (s) => h('tr', {},
      h('th', { scope: 'row' }, s.id),
      h('td', {}, s.tool),
      h('td', {}, badge(s.status)),
      h('td', {}, h('pre', {}, json(s.args))),
      h('td', {}, s.error
        ? h('pre', {}, `${s.error.reason}: ${s.error.message}`)
        : s.output !== undefined ? h('pre', {}, json(s.output)) : ''),
      h('td', {}, clock(s.startedAt)),
      h('td', {}, duration(s.durationMs)));
    $('plan').replaceChildren(
      h('p', { class: 'muted' },
        `The plan of iteration ${iteration}: ${plural(steps.length, 'step')}.`),
      planGraph(steps),
      table(['Step', 'Tool', 'Status', 'Arguments', 'Result', 'Started', 'Took'], steps.map(row)),
    );
  }

  /** The plan as a graph: a column per dependency depth, an arrow from each dependency. */
  function planGraph(steps) {
    const W = 160;
    const H = 44;
    const byId = new Map(steps.map((s) => [s.id, s]));
    const depth = new Map();
    const depthOf = (s, seen = new Set()) => {
      if (depth.has(s.id)) return depth.get(s.id);
      if (seen.has(s.id)) return 0; // a cycle; the orchestrator fails such steps anyway
      seen.add(s.id);
      const deps = (s.dependsOn || []).map((d) => byId.get(d)).filter(Boolean);
      const d = deps.length ? 1 + Math.max(...deps.map((x) => depthOf(x, seen))) : 0;
      depth.set(s.id, d);
      return d;
    };
    const rows = new Map();
    const at = new Map();
    for (const s of steps) {
      const col = depthOf(s);
      const row = rows.get(col) || 0;
      rows.set(col, row + 1);
      at.set(s.id, { x: 10 + col * (W + 30), y: 10 + row * (H + 16) });
    }
    const width = 20 + Math.max(...rows.keys()) * (W + 30) + W;
    const height = 20 + Math.max(...rows.values()) * (H + 16) - 16;
    const label = steps.map((s) => `${s.id} ${s.tool} ${s.status}` +
      (s.dependsOn?.length ? ` after ${s.dependsOn.join(', ')}` : '')).join('; ');
    const svg = h('svg:svg', {
      class: 'graph', viewBox: `0 0 ${width} ${height}`, width, height,
      role: 'img', 'aria-label': `Plan graph: ${label}`,
    }, h('svg:defs', {}, h('svg:marker', {
      id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8,
      orient: 'auto',
    }, h('svg:path', { d: 'M0,0 L10,5 L0,10 z' }))));
    for (const s of steps) {
      const to = at.get(s.id);
      for (const d of s.dependsOn || []) {
        const from = at.get(d);
        if (!from) continue;
        const [x1, y1, x2, y2] = [from.x + W, from.y + H / 2, to.x, to.y + H / 2];
        const d1 = `M${x1},${y1} C${x1 + 15},${y1} ${x2 - 15},${y2} ${x2},${y2}`;
        svg.append(h('svg:path', { d: d1, 'marker-end': 'url(#arrow)' }));
      }
    }
    for (const s of steps) {
      const { x, y } = at.get(s.id);
      const took = s.durationMs !== undefined ? ` · ${duration(s.durationMs)}` : '';
      svg.append(h('svg:g', { class: s.status, 'data-step': s.id },
        h('svg:rect', { x, y, width: W, height: H, rx: 6 }),
        h('svg:text', { x: x + 10, y: y + 18 }, `${s.id} · ${s.tool}`),
        h('svg:text', { x: x + 10, y: y + 35 }, `${s.status}${took}`)));
    }
    return svg;
  }

  function renderPolicy(run) {
    // Approval entries (requested, approved, rejected, expired) belong with the policy decisions.
    const decisions = run.entries.filter((e) => e.type === 'policy' || e.type === 'approval');
    $('policy-section').hidden = decisions.length === 0;
    // Entries carry the catalogue's policy decision fields (outcome, stage, policyId, rule).
    $('policy').replaceChildren(decisions.length === 0 ? '' : table(
      ['When', 'Outcome', 'Call', 'Policy', 'Reason'],
      decisions.map((d) => h('tr', {},
        h('td', {}, clock(d.at)),
        h('td', {}, badge(String(d.outcome || d.decision || d.state || ''))),
        h('td', {}, [d.stage, d.stepId, d.tool].filter(Boolean).join(' ')),
        h('td', {}, [d.policyId, d.rule].filter(Boolean).join(' ')),
        h('td', {}, String(d.reason || '')))),
    ));
  }

  function renderUsage(u) {
    const inTokens = u.inputTokens || 0;
    const outTokens = u.outputTokens || 0;
    const calls = plural(u.modelCalls || 0, 'model call');
    const total = `${inTokens + outTokens} tokens: ${inTokens} in, ${outTokens} out, in ${calls}.`;
    const parts = [h('p', {}, total)];
    const models = Array.isArray(u.byModel) ? u.byModel : [];
    // Cost appears only when the server reports it; the page never estimates prices.
    const hasCost = models.some((m) => typeof m.costUsd === 'number');
    if (models.length) {
      const heads = ['Model', 'Calls', 'Tokens in', 'Tokens out', 'Latency'];
      if (hasCost) heads.push('Cost (USD)');
      parts.push(table(heads, models.map((m) => h('tr', {},
        h('td', {}, `${m.provider}/${m.model}`),
        h('td', {}, String(m.calls ?? '')),
        h('td', {}, String(m.inputTokens ?? '')),
        h('td', {}, String(m.outputTokens ?? '')),
        h('td', {}, duration(m.latencyMs)),
        hasCost ? h('td', {}, typeof m.costUsd === 'number' ? m.costUsd.toFixed(6) : '') : null))));
    }
    if (typeof u.costUsd === 'number') parts.push(h('p', {}, `Cost: ${u.costUsd.toFixed(6)} USD.`));
    $('usage').replaceChildren(...parts);
  }

  // ---- Start-up.

  function route() {
    const m = /^#\/runs\/(.+)$/.exec(location.hash);
    if (m && key()) openRun(decodeURIComponent(m[1]));
  }

  function start() {
    $('key-form').addEventListener('submit', (e) => {
      e.preventDefault();
      sessionStorage.setItem(KEY_STORE, $('key-input').value.trim());
      $('key-input').value = '';
      $('key-form').hidden = true;
      $('key-set').hidden = false;
      // The form is gone; the list it unlocked is where the user goes next.
      $('runs-title').focus();
      loadRuns();
      route();
    });
    $('key-forget').addEventListener('click', () => {
      sessionStorage.removeItem(KEY_STORE);
      if (current) current.controller.abort();
      $('runs-list').replaceChildren();
      showKeyForm('');
      $('key-input').focus();
    });
    $('runs-refresh').addEventListener('click', loadRuns);
    window.addEventListener('hashchange', () => {
      route();
      // Keyboard and screen-reader users land on the run they opened.
      $('run-title').focus();
    });
    // A running phase's bar grows with the clock; a finished run needs no ticking.
    setInterval(() => {
      if (current?.view && !isFinished(current)) renderTimeline(current, phasesOf(current.entries));
    }, 1_000);
    setInterval(() => document.visibilityState === 'visible' && loadRuns(), RUNS_REFRESH_MS);
    if (!key()) return showKeyForm('');
    $('key-set').hidden = false;
    loadRuns();
    route();
  }

  start();
})();
