/**
 * `npm run policy:replay -- <runId> --policy <file> [--tenant t] [--url …] [--key …] [--json]`:
 * re-evaluates a recorded run's tool and model calls against another policy file and prints
 * what would have changed (allow → deny, new holds, new redactions, budget stops). It reads the
 * run through the public API (the run view and its event log) and calls no model or tool.
 *
 * Settings as the `ddo` CLI resolves them (cli/settings.ts): --url or DDO_URL, --key or
 * DDO_API_KEY, else the local key file for a loopback URL. `--tenant` only decides whether the
 * policy's `match.tenants` applies (default: the policy applies whatever it matches).
 * Exit codes: 0 replayed (changes or not), 1 the API refused, 2 a usage or configuration mistake.
 */
import { parseArgs } from 'node:util';
import type { RunView } from '../functions/orchestrator/run-state';
import { parsePolicyFile, type Policy } from '../shared/policy/registry';
import { requireKey, resolveSettings } from '../cli/settings';
import { replayRun, type LogEntry, type ReplayChange } from './policy-replay-diff';

const USAGE = 'usage: npm run policy:replay -- <runId> --policy <file> [--tenant t] [--url URL] [--key KEY] [--json]';
const EVENTS_TIMEOUT_MS = 10_000;

/** A mistake of the caller's: exit code 2 with the message. */
class ReplayUsageError extends Error {}

/** Reads one JSON document from the API, or explains the refusal. */
async function getJson<T>(url: string, key: string): Promise<T> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** The run's event log; a finished run's stream ends, a paused one is read until it goes quiet. */
async function readLog(url: string, key: string): Promise<LogEntry[]> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(EVENTS_TIMEOUT_MS) });
  if (!res.ok || !res.body) throw new Error(`${url} answered ${res.status}.`);
  let text = '';
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body) text += decoder.decode(chunk as Uint8Array, { stream: true });
  } catch (err) {
    // A run that is not over keeps its stream open; what arrived until the timeout is the log.
    if ((err as Error).name !== 'TimeoutError' && (err as Error).name !== 'AbortError') throw err;
  }
  return text
    .split('\n\n')
    .map((block) => block.split('\n').find((l) => l.startsWith('data:')))
    .filter((line): line is string => line !== undefined)
    .map((line) => JSON.parse(line.slice(5)) as LogEntry);
}

/** Whether `policy` would govern the run's agent for `tenant`; a policy file named on purpose does. */
function applies(policy: Policy, tenant: string | undefined): boolean {
  return !tenant || !policy.match?.tenants || policy.match.tenants.some((t) => t === '*' || t === tenant);
}

function describe(c: ReplayChange): string {
  const label: Record<ReplayChange['kind'], string> = {
    allow_to_deny: 'allow → deny',
    deny_to_allow: 'deny → allow',
    newly_held: 'allow → hold',
    no_longer_held: 'hold → allow',
    new_redaction: 'new redaction',
    budget_stop: 'budget stop',
    model_denied: 'model denied',
  };
  return `  ${label[c.kind].padEnd(14)} ${c.where}: ${c.detail}`;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { policy: { type: 'string' }, tenant: { type: 'string' }, url: { type: 'string' }, key: { type: 'string' }, json: { type: 'boolean' } },
  });
  const runId = positionals[0];
  if (!runId || !values.policy) throw new ReplayUsageError(USAGE);

  const policy = parsePolicyFile(values.policy);
  const settings = resolveSettings({ url: values.url, key: values.key }, process.env, process.cwd());
  const key = requireKey(settings);
  const runUrl = `${settings.apiUrl}/v1/runs/${encodeURIComponent(runId)}`;
  const run = await getJson<RunView>(runUrl, key);
  const log = await readLog(`${runUrl}/events`, key);
  const policies = applies(policy, values.tenant) ? [policy] : [];
  const changes = replayRun(run, log, policies);

  if (values.json) {
    process.stdout.write(`${JSON.stringify({ runId, policy: `${policy.id}@${policy.version}`, status: run.status, changes }, null, 2)}\n`);
    return 0;
  }
  const lines = [`run ${runId} (${run.status}, ${run.iterations} iteration(s)) against policy ${policy.id} version ${policy.version}:`];
  if (policies.length === 0) lines.push(`  the policy does not apply to tenant ${values.tenant}; nothing would change.`);
  else if (changes.length === 0) lines.push('  nothing would change.');
  else lines.push(...changes.map(describe), `${changes.length} change(s); no model or tool was called.`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    const isUsage = err instanceof ReplayUsageError || err.name === 'ConfigError' || err.name === 'UsageError' || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`policy:replay: ${err.message}\n`);
    process.exitCode = isUsage ? 2 : 1;
  },
);
