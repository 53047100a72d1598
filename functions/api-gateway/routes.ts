/**
 * The public API: start a run, read it, stream its events, list runs, health. Every route
 * authenticates first and sees only the caller's tenant (another tenant's run is a 404).
 */
import type { Request, Response } from 'express';
import type { AgentRegistry } from '../../shared/agents/registry';
import { requireAgent } from '../../shared/agents/registry';
import { BadRequestError, ConflictError, NotFoundError, TransientError, UnsupportedMediaTypeError } from '../../shared/errors';
import { ID_PATTERN, newId, requireId } from '../../shared/ids';
import { Router } from '../../shared/http/router';
import { assertValid } from '../../shared/schema';
import { authenticate, type parseApiKeys } from './auth';
import type { OrchestratorClient } from './orchestrator-client';
import type { RateLimiter } from './rate-limit';
import { MAX_WAIT_SECONDS } from './settings';
import { streamRunEvents } from './sse';
import { loadGatewayAssets, sendAsset, type GatewayAssets } from './ui/assets';
import { isSettled } from '../orchestrator/run-state';

/** The body of POST /v1/agents/:agentId/runs. */
export const startRunSchema = {
  type: 'object',
  properties: {
    input: { type: 'string', minLength: 1, maxLength: 32_000 },
    sessionId: { type: 'string', pattern: ID_PATTERN },
  },
  required: ['input'],
  additionalProperties: false,
} as const;

/** The body of POST /v1/runs/:runId/approvals/:stepId. */
export const decisionSchema = {
  type: 'object',
  properties: {
    decision: { enum: ['approve', 'reject'] },
    comment: { type: 'string', maxLength: 2_000 },
  },
  required: ['decision'],
  additionalProperties: false,
} as const;

export interface GatewayDeps {
  keys: ReturnType<typeof parseApiKeys>;
  agents: AgentRegistry;
  orchestrator: OrchestratorClient;
  limiter: RateLimiter;
  /** The inspector page and the OpenAPI document; read from the repository layout by default. */
  assets?: GatewayAssets;
  /** Whether the ingress gateway's JWT tenant header is trusted (in the mesh only). */
  acceptsIngressTenant?: boolean;
}

/** Refuses an empty or non-JSON body, before the body's fields are checked. */
function requireJsonBody(req: Request, example: string): void {
  const length = Number(req.headers['content-length'] ?? 0);
  if (length === 0 && !req.headers['transfer-encoding']) {
    throw new BadRequestError(`The body is empty; send a JSON object such as ${example}.`, 'body');
  }
  if (!req.is('application/json')) throw new UnsupportedMediaTypeError(req.headers['content-type'], 'application/json');
}

function waitSeconds(req: Request): number {
  const raw = req.query.wait;
  if (raw === undefined) return 0;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d{1,3}$/.test(raw) || n > MAX_WAIT_SECONDS) {
    throw new BadRequestError(`wait must be a whole number of seconds from 0 to ${MAX_WAIT_SECONDS}.`, 'wait');
  }
  return n;
}

/** Builds the gateway's router. */
export function gatewayRouter(deps: GatewayDeps): Router {
  const router = new Router();
  const principal = (req: Request) => {
    const p = authenticate(deps.keys, req.headers, deps.acceptsIngressTenant ?? false);
    deps.limiter.take(p.keyId);
    return p;
  };

  router.on('GET', '/healthz', async (_req, res) => {
    try {
      await deps.orchestrator.health();
    } catch (err) {
      throw new TransientError('The system is not ready to take runs yet.', err);
    }
    res.json({ ok: true });
  });

  router.on('POST', '/v1/agents/:agentId/runs', async (req, res, params) => {
    const who = principal(req);
    const wait = waitSeconds(req);
    requireJsonBody(req, '{"input": "…"}');
    const body = assertValid<{ input: string; sessionId?: string }>(startRunSchema, req.body, 'body');
    const agent = requireAgent(deps.agents, requireId(params.agentId, 'agentId'));

    const runId = newId('run');
    const isFinished = async (id: string) => {
      try {
        return isSettled((await deps.orchestrator.getRun(who.tenant, id, 0)).status);
      } catch {
        return false;
      }
    };
    await deps.limiter.admitRun(who.keyId, runId, isFinished);
    let run;
    try {
      const { input, sessionId } = body;
      // A caller that waits gets the answer whole, so its pieces are not streamed to nobody.
      const request = { tenant: who.tenant, agentId: agent.id, runId, input, sessionId, ...(wait > 0 ? { stream: false } : {}) };
      // One request starts the run and, when asked to wait, answers once it settles.
      run = await deps.orchestrator.startRun(request, wait * 1_000);
    } catch (err) {
      deps.limiter.release(who.keyId, runId);
      throw err;
    }
    // A run awaiting approval does not count as in flight: it uses nothing while it waits.
    if (isSettled(run.status)) deps.limiter.release(who.keyId, runId);
    const hasEnded = run.status === 'completed' || run.status === 'failed';
    res.setHeader('Location', `/v1/runs/${runId}`);
    res.status(hasEnded ? 200 : 202).json(run);
  });

  router.on('GET', '/v1/runs', async (req, res) => {
    const who = principal(req);
    const limit = req.query.limit === undefined ? 20 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new BadRequestError('limit must be 1 to 200.', 'limit');
    res.json({ runs: await deps.orchestrator.listRuns(who.tenant, limit) });
  });

  router.on('GET', '/v1/runs/:runId', async (req, res, params) => {
    const who = principal(req);
    const run = await deps.orchestrator.getRun(who.tenant, requireId(params.runId, 'runId'), waitSeconds(req) * 1_000);
    if (isSettled(run.status)) deps.limiter.release(who.keyId, run.runId);
    res.json(run);
  });

  router.on('POST', '/v1/runs/:runId/approvals/:stepId', async (req, res, params) => {
    const who = principal(req);
    const runId = requireId(params.runId, 'runId');
    const stepId = requireId(params.stepId, 'stepId');
    requireJsonBody(req, '{"decision": "approve"}');
    const body = assertValid<{ decision: 'approve' | 'reject'; comment?: string }>(decisionSchema, req.body, 'body');
    // Reading first makes an unknown (or another tenant's) run a 404, and names the iteration.
    const run = await deps.orchestrator.getRun(who.tenant, runId, 0);
    const reply = await deps.orchestrator.decideApproval({
      tenant: who.tenant,
      runId,
      stepId,
      iteration: run.iterations,
      decision: body.decision,
      ...(body.comment ? { comment: body.comment } : {}),
    });
    if (reply.outcome === 'unknown_step') throw new NotFoundError(`Run ${runId} has no step ${stepId}.`);
    if (reply.outcome === 'conflict') {
      throw new ConflictError(`Step ${stepId} of run ${runId} is not awaiting approval (it was decided, expired or never held).`, { field: 'stepId' });
    }
    res.json(reply.run);
  });

  router.on('GET', '/v1/runs/:runId/events', async (req, res, params) => {
    const who = principal(req);
    await streamRunEvents(req, res, deps.orchestrator, who.tenant, requireId(params.runId, 'runId'));
  });

  // Public documents: the page holds no data (it asks for the key) and the contract is public.
  const assets = deps.assets ?? loadGatewayAssets();
  router.on('GET', '/openapi.json', async (req, res) => sendAsset(req, res, assets.openapi, 'The OpenAPI document', assets));
  router.on('GET', '/ui', async (req, res) => sendAsset(req, res, assets.ui.get('index.html'), 'The inspector', assets));
  router.on('GET', '/ui/:file', async (req, res, params) => {
    sendAsset(req, res, assets.ui.get(params.file), `/ui/${params.file}`, assets);
  });

  return router;
}

/** Adapts the router to the function's handler. */
export function gatewayHandler(router: Router) {
  return async (req: Request, res: Response): Promise<void> => {
    const { handler, params } = router.match(req.method, req.path);
    await handler(req, res, params);
  };
}
