/**
 * The memory service's HTTP API, called by the orchestrator only (the mesh enforces that).
 * Every path segment that becomes part of a key is validated as an id first.
 */
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { BadRequestError, NotFoundError } from '../../shared/errors';
import { requireId } from '../../shared/ids';
import { intQuery } from '../../shared/http/query';
import { Router } from '../../shared/http/router';
import { assertValid } from '../../shared/schema';
import type { FactScope, HistoryMessage, MemoryStore, RunDocument, UsageTotals, UsageWindow } from './store/types';

/** Messages to add to a session's history, in a history append or with a run commit. */
const HISTORY_MESSAGES = {
  type: 'array',
  maxItems: 100,
  items: {
    type: 'object',
    properties: {
      role: { enum: ['user', 'assistant'] },
      content: { type: 'string', maxLength: 200_000 },
      runId: { type: 'string' },
      at: { type: 'string' },
    },
    required: ['role', 'content', 'at'],
    additionalProperties: false,
  },
} as const;

/** The body of a run commit (PUT /v1/tenants/:tenant/runs/:runId). */
export const commitSchema = {
  type: 'object',
  properties: {
    expectedVersion: { type: 'integer', minimum: 0 },
    state: {
      type: 'object',
      properties: {
        runId: { type: 'string' },
        agentId: { type: 'string' },
        status: { type: 'string' },
        createdAt: { type: 'string' },
        updatedAt: { type: 'string' },
      },
      required: ['runId', 'agentId', 'status', 'createdAt', 'updatedAt'],
    },
    events: { type: 'array', items: { type: 'object' }, maxItems: 256 },
    // A finished turn for the session's history, appended once the commit succeeds.
    history: {
      type: 'object',
      properties: {
        agentId: { type: 'string' },
        sessionId: { type: 'string' },
        keep: { type: 'integer', minimum: 1, maximum: 10_000 },
        messages: HISTORY_MESSAGES,
      },
      required: ['agentId', 'sessionId', 'keep', 'messages'],
      additionalProperties: false,
    },
  },
  required: ['expectedVersion', 'state', 'events'],
  additionalProperties: false,
} as const;

/** The body of a history append (POST …/sessions/:sessionId/history). */
export const historySchema = {
  type: 'object',
  properties: {
    keep: { type: 'integer', minimum: 1, maximum: 10_000 },
    messages: HISTORY_MESSAGES,
  },
  required: ['keep', 'messages'],
  additionalProperties: false,
} as const;

/** The body of a new fact (POST …/agents/:agentId/facts). */
export const factSchema = {
  type: 'object',
  properties: {
    text: { type: 'string', minLength: 1, maxLength: 2_000 },
    sessionId: { type: 'string' },
    ttlSeconds: { type: 'integer', minimum: 1 },
  },
  required: ['text'],
  additionalProperties: false,
} as const;

/** The body of a window-usage addition (POST …/usage/:window/:bucket). */
export const usageSchema = {
  type: 'object',
  properties: {
    tokens: { type: 'number', minimum: 0 },
    costUsd: { type: 'number', minimum: 0 },
    toolCalls: { type: 'number', minimum: 0 },
  },
  required: ['tokens', 'costUsd', 'toolCalls'],
  additionalProperties: false,
} as const;

interface CommitBody {
  expectedVersion: number;
  state: RunDocument;
  events: Record<string, unknown>[];
  history?: { agentId: string; sessionId: string; keep: number; messages: HistoryMessage[] };
}

/** The window and bucket of a usage path: non-negative integers. */
function usageWindow(p: Record<string, string>): UsageWindow {
  const window = Number(p.window);
  const bucket = Number(p.bucket);
  if (!Number.isSafeInteger(window) || window < 1) throw new BadRequestError('window must be a positive integer of seconds.', 'window');
  if (!Number.isSafeInteger(bucket) || bucket < 0) throw new BadRequestError('bucket must be a non-negative integer.', 'bucket');
  return { window, bucket };
}

/** Builds the router over a store. */
export function memoryRouter(store: MemoryStore): Router {
  const router = new Router();

  router.on('GET', '/healthz', async (_req, res) => {
    await store.ping();
    res.json({ ok: true, backend: store.backend });
  });

  // The stalled-run sweeper's view across tenants: running runs whose last commit is older.
  router.on('GET', '/v1/stalled-runs', async (req, res) => {
    const before = intQuery(req, 'before', 0, Number.MAX_SAFE_INTEGER);
    res.json({ runs: await store.listStalled(before, intQuery(req, 'limit', 100, 1_000)) });
  });

  router.on('GET', '/v1/tenants/:tenant/runs', async (req, res, p) => {
    res.json({ runs: await store.listRuns(requireId(p.tenant, 'tenant'), intQuery(req, 'limit', 50, 1_000)) });
  });

  router.on('GET', '/v1/tenants/:tenant/runs/:runId', async (_req, res, p) => {
    const run = await store.getRun(requireId(p.tenant, 'tenant'), requireId(p.runId, 'runId'));
    if (!run) throw new NotFoundError(`There is no run ${p.runId}.`);
    res.json(run);
  });

  router.on('PUT', '/v1/tenants/:tenant/runs/:runId', async (req, res, p) => {
    const body = assertValid<CommitBody>(commitSchema, req.body, 'body');
    const tenant = requireId(p.tenant, 'tenant');
    const runId = requireId(p.runId, 'runId');
    if (body.state.runId !== runId) throw new BadRequestError('state.runId must match the path.', 'state/runId');
    const turn = body.history;
    const session = turn && { agentId: requireId(turn.agentId, 'history/agentId'), sessionId: requireId(turn.sessionId, 'history/sessionId') };
    const committed = await store.commitRun(tenant, runId, body.expectedVersion, body.state, body.events);
    // The turn goes to its session only after the commit, as the orchestrator would append it
    // itself; if this fails, the commit stands, the caller sees an error and appends it again.
    if (turn && session) await store.appendHistory(tenant, session.agentId, session.sessionId, turn.messages, turn.keep);
    res.json(committed);
  });

  router.on('GET', '/v1/tenants/:tenant/runs/:runId/log', async (req, res, p) => {
    const entries = await store.readRunLog(
      requireId(p.tenant, 'tenant'),
      requireId(p.runId, 'runId'),
      intQuery(req, 'after', 0, Number.MAX_SAFE_INTEGER),
      intQuery(req, 'limit', 500, 5_000),
    );
    res.json({ entries });
  });

  router.on('GET', '/v1/tenants/:tenant/agents/:agentId/sessions/:sessionId/context', async (req, res, p) => {
    const tenant = requireId(p.tenant, 'tenant');
    const agentId = requireId(p.agentId, 'agentId');
    const sessionId = requireId(p.sessionId, 'sessionId');
    const scope: FactScope = req.query.factScope === 'agent' ? { agentId } : { agentId, sessionId };
    const [history, facts] = await Promise.all([
      store.readHistory(tenant, agentId, sessionId, intQuery(req, 'historyLimit', 20, 1_000)),
      store.readFacts(tenant, scope),
    ]);
    res.json({ history, facts });
  });

  router.on('POST', '/v1/tenants/:tenant/agents/:agentId/sessions/:sessionId/history', async (req, res, p) => {
    const body = assertValid<{ keep: number; messages: HistoryMessage[] }>(historySchema, req.body, 'body');
    await store.appendHistory(
      requireId(p.tenant, 'tenant'),
      requireId(p.agentId, 'agentId'),
      requireId(p.sessionId, 'sessionId'),
      body.messages,
      body.keep,
    );
    res.status(204).end();
  });

  router.on('POST', '/v1/tenants/:tenant/agents/:agentId/facts', async (req, res, p) => {
    const body = assertValid<{ text: string; sessionId?: string; ttlSeconds?: number }>(factSchema, req.body, 'body');
    const agentId = requireId(p.agentId, 'agentId');
    const scope: FactScope = { agentId, sessionId: body.sessionId === undefined ? undefined : requireId(body.sessionId, 'sessionId') };
    const now = Date.now();
    const id = createHash('sha256').update(body.text).digest('hex').slice(0, 24);
    await store.putFact(requireId(p.tenant, 'tenant'), scope, {
      id,
      text: body.text,
      createdAt: new Date(now).toISOString(),
      expiresAt: body.ttlSeconds ? new Date(now + body.ttlSeconds * 1_000).toISOString() : undefined,
    });
    res.status(201).json({ id });
  });

  // An agent's usage in one bucket of a window (window budgets): read it, or add a run's use.
  router.on('GET', '/v1/tenants/:tenant/agents/:agentId/usage/:window/:bucket', async (_req, res, p) => {
    res.json(await store.readUsage(requireId(p.tenant, 'tenant'), requireId(p.agentId, 'agentId'), usageWindow(p)));
  });

  router.on('POST', '/v1/tenants/:tenant/agents/:agentId/usage/:window/:bucket', async (req, res, p) => {
    const body = assertValid<UsageTotals>(usageSchema, req.body, 'body');
    res.json(await store.addUsage(requireId(p.tenant, 'tenant'), requireId(p.agentId, 'agentId'), usageWindow(p), body));
  });

  return router;
}

/** Adapts the router to an HTTP handler. */
export function memoryHandler(router: Router) {
  return async (req: Request, res: Response): Promise<void> => {
    const { handler, params } = router.match(req.method, req.path);
    await handler(req, res, params);
  };
}
