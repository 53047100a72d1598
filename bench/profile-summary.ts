/**
 * Reads V8 .cpuprofile files (node --cpu-prof) and says where CPU time went: self time per
 * function and per category (our code by folder, each npm package, Node's HTTP and net layers,
 * V8 builtins, GC), restricted to a time window so start-up and shutdown are left out.
 */
import fs from 'node:fs';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

/** The parts of a .cpuprofile this module reads; times are µs on the monotonic clock. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Self time of one function or category. */
export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

/** One process's profile, reduced. */
export interface ProcessProfile {
  process: string;
  windowMs: number;
  busyMs: number;
  categories: SelfTime[];
  functions: SelfTime[];
  /** Time charged to the innermost DDO or npm-package frame on the stack, Node below it included. */
  owners: SelfTime[];
  /** The same, by that frame's package or DDO folder: what each package costs, loading included. */
  ownerCategories: SelfTime[];
}

const IDLE = new Set(['(idle)', '(root)']);
const NO_OWNER = '(Node or V8 only: no DDO or package frame on the stack)';

function isLibraryOrOurs(category: string): boolean {
  return !/^(node: |V8|GC$|other$)/.test(category);
}

/** The category of a frame: where its code comes from. */
export function categoryOf(frame: CallFrame): string {
  const { functionName: name, url } = frame;
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)') return 'V8/native (program)';
  // These natives perform the socket write itself: the time is mostly the kernel's loopback TCP.
  if (url === '' && /^write(v|Latin1String|Utf8String|AsciiString|Buffer)$/.test(name)) {
    return 'socket writes (syscalls)';
  }
  if (url === '') return `V8 builtin: ${name || 'anonymous'}`;
  if (url.startsWith('node:')) {
    const mod = url.slice('node:'.length).replace(/^internal\//, '');
    if (/^_http_|^http\b|^http\//.test(mod)) return 'node: http';
    if (/^net\b|^stream_base|^streams\/|^stream\b|^dns\b/.test(mod)) return 'node: net/streams';
    if (/^async_hooks|^async_context|^timers|^process\/task_queues/.test(mod)) {
      return 'node: async/timers';
    }
    // The functions-framework runs every request in a domain; domain hooks every async resource.
    if (/^domain$|^process\/execution/.test(mod)) return 'node: domain (functions-framework)';
    if (/^modules\/|^bootstrap\//.test(mod)) return 'node: module loading';
    if (/^events$/.test(mod)) return 'node: events';
    return 'node: other';
  }
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const dist = /\/dist\/(.+)$/.exec(url.replace(/^file:\/\//, ''));
  if (dist) {
    const segments = dist[1].split('/');
    return `ddo: ${segments.length > 2 ? segments.slice(0, 2).join('/') : segments[0]}`;
  }
  return 'other';
}

function frameLabel(frame: CallFrame): string {
  const base = path.basename(frame.url.replace(/^file:\/\//, ''));
  const file = frame.url ? `${base}:${frame.lineNumber + 1}` : 'native';
  return `${frame.functionName || '(anonymous)'} ${file} [${categoryOf(frame)}]`;
}

/** Reduces a profile to self times inside [fromUs, toUs] (the whole profile when omitted). */
export function summarizeProfile(
  name: string,
  profile: CpuProfile,
  fromUs = -Infinity,
  toUs = Infinity,
  top = 12,
): ProcessProfile {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const parents = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parents.set(child, n.id);
  const ownerOf = (id: number): CallFrame | undefined => {
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const frame = frames.get(at);
      if (frame && isLibraryOrOurs(categoryOf(frame))) return frame;
    }
    return undefined;
  };
  const byOwner = new Map<string, number>();
  const byOwnerCategory = new Map<string, number>();
  const byCategory = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busyUs = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    // A sample stands for the time until the next one.
    const selfUs = profile.timeDeltas[i + 1] ?? 0;
    if (t < fromUs || t > toUs || selfUs <= 0) continue;
    const frame = frames.get(profile.samples[i]);
    if (!frame || IDLE.has(frame.functionName)) continue;
    busyUs += selfUs;
    const category = categoryOf(frame);
    byCategory.set(category, (byCategory.get(category) ?? 0) + selfUs);
    const label = frameLabel(frame);
    byFunction.set(label, (byFunction.get(label) ?? 0) + selfUs);
    const owner = ownerOf(profile.samples[i]);
    const ownerLabel = owner ? frameLabel(owner) : NO_OWNER;
    byOwner.set(ownerLabel, (byOwner.get(ownerLabel) ?? 0) + selfUs);
    const ownerCategory = owner ? categoryOf(owner) : category;
    byOwnerCategory.set(ownerCategory, (byOwnerCategory.get(ownerCategory) ?? 0) + selfUs);
  }
  const ranked = (m: Map<string, number>, limit: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([n, us]) => ({ name: n, ms: us / 1_000, share: busyUs > 0 ? us / busyUs : 0 }));
  const windowUs = Math.min(toUs, profile.endTime) - Math.max(fromUs, profile.startTime);
  return {
    process: name,
    windowMs: windowUs / 1_000,
    busyMs: busyUs / 1_000,
    categories: ranked(byCategory, Infinity),
    functions: ranked(byFunction, top),
    owners: ranked(byOwner, top),
    ownerCategories: ranked(byOwnerCategory, Infinity),
  };
}

/** Summarises every .cpuprofile in `dir` (file name = process name) within the window. */
export function summarizeProfileDir(dir: string, fromUs: number, toUs: number): ProcessProfile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()
    .map((f) => {
      const profile = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as CpuProfile;
      return summarizeProfile(f.replace(/\.cpuprofile$/, ''), profile, fromUs, toUs);
    });
}

/** The summary as markdown, with CPU per run so it reads against the run's latency. */
export function renderProfile(profiles: readonly ProcessProfile[], runs: number, latencyMs: number): string {
  const perRun = (ms: number) => (ms / runs).toFixed(2);
  const total = profiles.reduce((n, p) => n + p.busyMs, 0);
  const item = (t: SelfTime, share = t.share) =>
    `- ${perRun(t.ms)} ms (${(share * 100).toFixed(1)}%) ${t.name}`;
  const topCategories = (p: ProcessProfile) =>
    p.categories
      .slice(0, 6)
      .map((c) => `${c.name} ${perRun(c.ms)}`)
      .join('; ');
  const lines = [
    `CPU profile of ${runs} sequential one-iteration runs (median latency ${latencyMs.toFixed(1)} ms): ` +
      `${perRun(total)} ms of CPU per run over all processes.`,
    '',
    '| process | CPU ms per run | top categories (ms per run) |',
    '|---|---|---|',
    ...profiles.map((p) => `| ${p.process} | ${perRun(p.busyMs)} | ${topCategories(p)} |`),
    '',
    'All processes together, by category (ms per run, share of all CPU):',
    '',
    ...combined(profiles)
      .slice(0, 16)
      .map((c) => item(c, c.ms / total)),
    '',
  ];
  for (const p of profiles) {
    lines.push(`**${p.process}** — top self time (ms per run, share of busy):`, '');
    lines.push(...p.functions.slice(0, 10).map((f) => item(f)));
    const heading = `**${p.process}** — by innermost DDO or package frame (Node and V8 below it included):`;
    lines.push('', heading, '');
    lines.push(...p.owners.slice(0, 10).map((f) => item(f)));
    lines.push('');
  }
  return lines.join('\n');
}

/** Categories summed over all processes, largest first. */
export function combined(profiles: readonly ProcessProfile[]): SelfTime[] {
  const sums = new Map<string, number>();
  for (const p of profiles) {
    for (const c of p.categories) sums.set(c.name, (sums.get(c.name) ?? 0) + c.ms);
  }
  const total = [...sums.values()].reduce((a, b) => a + b, 0);
  return [...sums]
    .sort((a, b) => b[1] - a[1])
    .map(([name, ms]) => ({ name, ms, share: total > 0 ? ms / total : 0 }));
}

/** Requests served per run, by process and route, from the request-counter files in `dir`. */
export function summarizeRequests(dir: string, fromUs: number, toUs: number, runs: number) {
  const rows: { process: string; route: string; perRun: number }[] = [];
  for (const f of fs.readdirSync(dir).filter((name) => name.endsWith('.requests.json')).sort()) {
    const notes = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as [number, string][];
    const counts = new Map<string, number>();
    for (const [at, route] of notes) {
      if (at >= fromUs && at <= toUs) counts.set(route, (counts.get(route) ?? 0) + 1);
    }
    const server = f.replace(/\.requests\.json$/, '');
    for (const [route, n] of counts) rows.push({ process: server, route, perRun: n / runs });
  }
  return rows.sort((a, b) => a.process.localeCompare(b.process) || b.perRun - a.perRun);
}

/** The request counts as markdown, with the total per run. */
export function renderRequests(rows: ReturnType<typeof summarizeRequests>): string {
  const total = rows.reduce((n, r) => n + r.perRun, 0);
  return [
    `HTTP requests served per run: ${total.toFixed(1)} in all.`,
    '',
    '| server | route [event type] | per run |',
    '|---|---|---|',
    ...rows.map((r) => `| ${r.process} | ${r.route} | ${r.perRun.toFixed(2)} |`),
    '',
  ].join('\n');
}
