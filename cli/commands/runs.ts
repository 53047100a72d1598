/** `ddo runs` lists the tenant's recent runs; `ddo runs show <id>` shows one (or follows it). */
import { ApiClient, runPath, type RunRecord } from '../client';
import type { CommandContext } from '../context';
import { EXIT } from '../errors';
import { between, formatDuration, styleStatus, table } from '../format';
import { describeStep } from '../render';
import { finish, watchRun } from './run';

interface RunSummary {
  runId: string;
  agentId: string;
  status: string;
  createdAt: string;
  updatedAt: string;
}

/** Prints the recent runs, newest first. */
export async function listRunsCommand(
  opts: { limit: number; json?: boolean },
  ctx: CommandContext,
): Promise<number> {
  const api = new ApiClient(ctx.settings, ctx.signal);
  const { runs } = await api.get<{ runs: RunSummary[] }>(`/v1/runs?limit=${opts.limit}`);
  if (opts.json) {
    ctx.out(`${JSON.stringify(runs, null, 2)}\n`);
    return EXIT.ok;
  }
  if (runs.length === 0) {
    ctx.out('No runs yet. Start one with: ddo run "What is (17 * 23) + 4?"\n');
    return EXIT.ok;
  }
  const s = ctx.styles;
  const rows = runs.map((r) => [
    r.runId,
    r.agentId,
    styleStatus(r.status, s),
    r.createdAt,
    r.status === 'running' ? '' : formatDuration(between(r.createdAt, r.updatedAt) ?? NaN),
  ]);
  ctx.out(`${table([['RUN', 'AGENT', 'STATUS', 'CREATED', 'TOOK'], ...rows], s.bold)}\n`);
  return EXIT.ok;
}

/**
 * Prints one run. `--follow` on a run that has not ended streams it live first, as `ddo run`
 * does, until it ends; a run awaiting approval has not ended, so the watch spans the pause.
 */
export async function showRunCommand(
  runId: string,
  opts: { json?: boolean; follow?: boolean },
  ctx: CommandContext,
): Promise<number> {
  const api = new ApiClient(ctx.settings, ctx.signal);
  let run = await api.get<RunRecord>(runPath(runId));
  if (opts.follow && !hasEnded(run)) {
    // The event stream, unlike a long poll of the record, stays open while the run is paused.
    if (opts.json) run = await watchRun(api, run, ctx, { quiet: true });
    else return finish(await watchRun(api, run, ctx), ctx, 'after-progress');
  }
  if (opts.json) {
    ctx.out(`${JSON.stringify(run, null, 2)}\n`);
    return EXIT.ok;
  }
  ctx.out(describeRun(run, ctx));
  return EXIT.ok;
}

function hasEnded(run: RunRecord): boolean {
  return run.status === 'completed' || run.status === 'failed';
}

function describeRun(run: RunRecord, ctx: CommandContext): string {
  const s = ctx.styles;
  const took = between(run.createdAt, run.completedAt);
  const usage = run.usage ?? {};
  const fields: [string, string][] = [
    ['agent', run.agentId],
    ['session', run.sessionId],
    ['created', run.createdAt],
    ['took', took === undefined ? 'still running' : formatDuration(took)],
    ['iterations', String(run.iterations)],
    ['tokens', `${usage.inputTokens ?? 0} in, ${usage.outputTokens ?? 0} out`],
    ['model calls', String(usage.modelCalls ?? 0)],
  ];
  const lines = [
    `${s.bold(run.runId)}  ${styleStatus(run.status, s)}`,
    ...fields.map(([k, v]) => `  ${k.padEnd(12)}${v}`),
  ];
  if (run.steps?.length) {
    lines.push(`  ${s.bold('steps')} ${s.dim('(the latest plan)')}`);
    for (const step of run.steps) lines.push(`    ${describeStep(step, s)}`);
  }
  if (run.error) {
    lines.push(`  ${s.bold('error')}`, `    ${run.error.reason}: ${run.error.message}`);
  }
  if (run.output !== null) {
    lines.push(`  ${s.bold('output')}`, ...run.output.split('\n').map((l) => `    ${l}`));
  }
  return `${lines.join('\n')}\n`;
}
