/**
 * Streams a run's event log as Server-Sent Events: one message per entry, `id:` its sequence
 * number, ending after the final status. `Last-Event-ID` (or `?lastEventId=`) resumes after
 * that entry, so a reconnecting client sees no gap and no repeat.
 */
import type { Request, Response } from 'express';
import { BadRequestError } from '../../shared/errors';
import type { OrchestratorClient } from './orchestrator-client';
import { isTerminal, type RunStatus } from '../orchestrator/run-state';

const POLL_WAIT_MS = 15_000;

function resumeAfter(req: Request): number {
  const raw = req.headers['last-event-id'] ?? req.query.lastEventId;
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || !Number.isSafeInteger(n)) {
    throw new BadRequestError('Last-Event-ID must be a non-negative integer sequence number.', 'Last-Event-ID');
  }
  return n;
}

/** Writes the run's events to `res` until the run has finished or the client goes away. */
export async function streamRunEvents(
  req: Request,
  res: Response,
  orchestrator: OrchestratorClient,
  tenant: string,
  runId: string,
): Promise<void> {
  let after = resumeAfter(req);
  // The first read happens before any byte is written, so an unknown run is still a clean 404.
  let batch = await orchestrator.readEvents(tenant, runId, after, 0);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  let closed = false;
  req.on('close', () => {
    closed = true;
  });
  res.write(': stream of run events\n\n');
  for (;;) {
    for (const entry of batch.entries) {
      const { seq, ...data } = entry;
      res.write(`id: ${seq}\nevent: ${String(data.type)}\ndata: ${JSON.stringify({ seq, ...data })}\n\n`);
      after = seq;
    }
    // A run awaiting approval is paused, not over: the stream stays open for the decision.
    const hasEnded = isTerminal(batch.status as RunStatus);
    const finished = hasEnded && batch.entries.length === 0;
    if (closed || finished) break;
    if (hasEnded) {
      batch = await orchestrator.readEvents(tenant, runId, after, 0);
      continue;
    }
    batch = await orchestrator.readEvents(tenant, runId, after, POLL_WAIT_MS);
    if (batch.entries.length === 0 && !closed) res.write(': keep-alive\n\n');
  }
  res.end();
}
