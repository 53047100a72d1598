/** The api-gateway's client for the orchestrator: start runs (a CloudEvent) and read them. */
import { EventTypes, runEventId, type ApprovalDecided, type RunRequested } from '../../shared/events/catalogue';
import { toBinaryMessage, type OutgoingEvent } from '../../shared/events/emit';
import { requestJson } from '../../shared/http/client';
import type { ApprovalReply } from '../orchestrator/approvals';
import type { RunView } from '../orchestrator/run-state';

export interface LogEntry {
  seq: number;
  at: string;
  type: string;
  [field: string]: unknown;
}

export interface OrchestratorClient {
  /** Starts a run; with `waitMs`, the answer comes once the run settles or that time has passed. */
  startRun(request: Required<Omit<RunRequested, 'sessionId' | 'stream'>> & Pick<RunRequested, 'sessionId' | 'stream'>, waitMs?: number): Promise<RunView>;
  /** Sends a person's decision about a held step; the reply says what became of it. */
  decideApproval(decision: ApprovalDecided): Promise<ApprovalReply>;
  getRun(tenant: string, runId: string, waitMs: number): Promise<RunView>;
  listRuns(tenant: string, limit: number): Promise<unknown[]>;
  readEvents(tenant: string, runId: string, after: number, waitMs: number): Promise<{ entries: LogEntry[]; status: string }>;
  health(): Promise<void>;
}

/** Builds the client over the orchestrator's base URL. */
export function orchestratorClient(baseUrl: string): OrchestratorClient {
  const runUrl = (tenant: string, runId: string) =>
    `${baseUrl}/v1/tenants/${encodeURIComponent(tenant)}/runs/${encodeURIComponent(runId)}`;
  return {
    async startRun(request, waitMs = 0) {
      // The run id doubles as the event id: a retried start is the same event, so it is idempotent.
      const event: OutgoingEvent = { type: EventTypes.runRequested, id: request.runId, data: request };
      return sendEvent<RunView>(baseUrl, event, waitMs);
    },
    async decideApproval(decision) {
      // The id names run, iteration, step and decision: a repeated decision is a duplicate event.
      const id = runEventId(decision, 'approval', decision.iteration ?? 0, decision.stepId, decision.decision);
      return sendEvent<ApprovalReply>(baseUrl, { type: EventTypes.approvalDecided, id, data: decision });
    },
    async getRun(tenant, runId, waitMs) {
      return (await requestJson<RunView>('GET', `${runUrl(tenant, runId)}?waitMs=${waitMs}`, undefined, { timeoutMs: waitMs + 10_000 })).body;
    },
    async listRuns(tenant, limit) {
      const url = `${baseUrl}/v1/tenants/${encodeURIComponent(tenant)}/runs?limit=${limit}`;
      return (await requestJson<{ runs: unknown[] }>('GET', url)).body.runs;
    },
    async readEvents(tenant, runId, after, waitMs) {
      const url = `${runUrl(tenant, runId)}/events?after=${after}&waitMs=${waitMs}`;
      return (await requestJson<{ entries: LogEntry[]; status: string }>('GET', url, undefined, { timeoutMs: waitMs + 10_000 })).body;
    },
    async health() {
      await requestJson('GET', `${baseUrl}/healthz`, undefined, { timeoutMs: 3_000 });
    },
  };
}

/**
 * Posts one CloudEvent (binary mode) to the orchestrator and returns its JSON reply; `waitMs`
 * (the ddo-wait-ms header) lets the orchestrator hold the answer until the run settles.
 */
async function sendEvent<T>(baseUrl: string, event: OutgoingEvent, waitMs = 0): Promise<T> {
  const message = toBinaryMessage('api-gateway', event);
  const headers = waitMs > 0 ? { ...message.headers, 'ddo-wait-ms': String(waitMs) } : message.headers;
  const options = { headers, rawBody: message.body, timeoutMs: waitMs + 15_000 };
  return (await requestJson<T>('POST', `${baseUrl}/`, undefined, options)).body;
}
