/**
 * Read paths the api-gateway calls: a run's view (optionally waiting for it to finish), its
 * event log (optionally long-polling for new entries) and a tenant's recent runs.
 */
import { NotFoundError } from '../../shared/errors';
import { requireId } from '../../shared/ids';
import { intQuery } from '../../shared/http/query';
import { Router } from '../../shared/http/router';
import type { RunEngine } from './engine';
import type { MemoryClient } from './memory-client';
import { isTerminal, toView } from './run-state';

const MAX_WAIT_MS = 60_000;

/** Builds the query router. */
export function queryRouter(memory: MemoryClient, engine: RunEngine): Router {
  const router = new Router();

  router.on('GET', '/healthz', async (_req, res) => {
    await memory.health();
    res.json({ ok: true });
  });

  router.on('GET', '/v1/tenants/:tenant/runs', async (req, res, p) => {
    res.json({ runs: await memory.listRuns(requireId(p.tenant, 'tenant'), intQuery(req, 'limit', 20, 200)) });
  });

  router.on('GET', '/v1/tenants/:tenant/runs/:runId', async (req, res, p) => {
    const state = await engine.waitForRun(
      requireId(p.tenant, 'tenant'),
      requireId(p.runId, 'runId'),
      intQuery(req, 'waitMs', 0, MAX_WAIT_MS),
    );
    if (!state) throw new NotFoundError(`There is no run ${p.runId}.`);
    res.json(toView(state));
  });

  router.on('GET', '/v1/tenants/:tenant/runs/:runId/events', async (req, res, p) => {
    const tenant = requireId(p.tenant, 'tenant');
    const runId = requireId(p.runId, 'runId');
    const after = intQuery(req, 'after', 0, Number.MAX_SAFE_INTEGER);
    const until = Date.now() + intQuery(req, 'waitMs', 0, MAX_WAIT_MS);
    for (;;) {
      const run = await engine.read(tenant, runId);
      if (!run) throw new NotFoundError(`There is no run ${runId}.`);
      const entries = await memory.readLog(tenant, runId, after, 500);
      const finished = isTerminal(run.status);
      if (entries.length > 0 || finished || Date.now() >= until) {
        res.json({ entries, status: run.status });
        return;
      }
      await engine.nextChange(tenant, runId, Math.min(250, until - Date.now()));
    }
  });

  return router;
}
