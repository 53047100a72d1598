/**
 * `ddo run`: starts a run through the API and shows it live from its event stream, then the
 * tokens used and the answer. `--json` waits quietly and prints the run record instead.
 */
import { ApiClient, runPath, type RunRecord } from '../client';
import type { CommandContext } from '../context';
import { EXIT, RunFailedError } from '../errors';
import { RunRenderer } from '../render';

/** Options of `ddo run`. */
export interface RunOptions {
  agent: string;
  session?: string;
  json?: boolean;
  quiet?: boolean;
}

/** Starts a run of `opts.agent` on `prompt`; resolves with the exit code. */
export async function runCommand(
  prompt: string,
  opts: RunOptions,
  ctx: CommandContext,
): Promise<number> {
  const api = new ApiClient(ctx.settings, ctx.signal);
  const path = `/v1/agents/${encodeURIComponent(opts.agent)}/runs`;
  const body = { input: prompt, ...(opts.session ? { sessionId: opts.session } : {}) };

  if (opts.json) {
    let run = await api.post<RunRecord>(`${path}?wait=60`, body, 75_000);
    if (run.status === 'running') run = await api.waitForRun(run.runId);
    ctx.out(`${JSON.stringify(run, null, 2)}\n`);
    return finish(run, ctx);
  }

  const started = await api.post<RunRecord>(path, body);
  const run = await watchRun(api, started, ctx, { quiet: opts.quiet });
  return finish(run, ctx, opts.quiet ? 'alone' : 'after-progress');
}

/**
 * Streams a run's events through the renderer until it ends and returns its final record. On
 * Ctrl-C it stops watching (the run goes on) and rethrows the abort.
 */
export async function watchRun(
  api: ApiClient,
  started: Pick<RunRecord, 'runId' | 'agentId' | 'sessionId'>,
  ctx: CommandContext,
  opts: { quiet?: boolean } = {},
): Promise<RunRecord> {
  const s = ctx.styles;
  const write = opts.quiet ? () => undefined : ctx.out;
  const renderer = new RunRenderer({ write, styles: s, canRewrite: ctx.isTty });
  const { runId, agentId, sessionId } = started;
  write(`${s.dim(`run ${runId} · agent ${agentId} · session ${sessionId}`)}\n`);
  try {
    for await (const entry of api.events(runId)) renderer.entry(entry);
  } catch (err) {
    renderer.endLine();
    if (ctx.signal.aborted) {
      ctx.err(`Stopped watching; run ${runId} goes on. See it with: ddo runs show ${runId}\n`);
    }
    throw err;
  }
  renderer.endLine();
  // The stream has ended with the final status, so the record is final too (usage included).
  const run = await api.get<RunRecord>(runPath(runId));
  write(`${renderer.summary(run)}\n`);
  return run;
}

/** Prints the answer (or the failure, on stderr) and maps the run's status to the exit code. */
export function finish(
  run: RunRecord,
  ctx: CommandContext,
  answer?: 'alone' | 'after-progress',
): number {
  if (run.status === 'completed') {
    if (answer) ctx.out(`${answer === 'after-progress' ? '\n' : ''}${run.output ?? ''}\n`);
    return EXIT.ok;
  }
  const { reason = 'unknown', message = 'no reason was recorded.' } = run.error ?? {};
  const failure = new RunFailedError(run.runId, reason, message);
  ctx.err(`${ctx.errStyles.red('error:')} ${failure.message}\n`);
  return failure.exitCode;
}
