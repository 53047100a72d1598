/**
 * A run's spans. The run span and one span per phase have ids derived from the run id, so every
 * event the orchestrator sends can name its phase span as parent before that span is recorded;
 * the orchestrator records each phase span when the phase ends and the run span when the run
 * ends. One run is therefore one trace, with phases under the run and everything a phase caused
 * (planner, executor, model and tool calls) under its phase.
 */
import { EventTypes, type PolicyDecisionData } from '../../shared/events/catalogue';
import type { OutgoingEvent } from '../../shared/events/emit';
import { ATTR } from '../../shared/telemetry/attributes';
import { derivedSpanId } from '../../shared/telemetry/ids';
import { record } from '../../shared/telemetry/metrics';
import { activeIds, contextWithParent, ddoTracer, recordSpan } from '../../shared/telemetry/tracing';
import { isTerminal, type RunState } from './run-state';

const runSpanId = (runId: string) => derivedSpanId(runId, 'run');
const phaseSpanId = (runId: string, iteration: number, phase: string) => derivedSpanId(runId, iteration, phase);

/** The trace a new run joins: the active span's (the request that started it), if tracing is on. */
export function traceForNewRun(): RunState['trace'] {
  const ids = activeIds();
  return ids ? { traceId: ids.traceId, parentSpanId: ids.spanId } : undefined;
}

/** Sets each outgoing event's traceparent to the phase (or run) span it belongs to. */
export function withPhaseContext(state: RunState, events: OutgoingEvent[]): OutgoingEvent[] {
  const t = state.trace;
  if (!t) return events;
  return events.map((event) => {
    const phase =
      event.type === EventTypes.planRequested ? 'plan' : event.type === EventTypes.stepRequested ? 'act' : event.type === EventTypes.modelRequested ? 'reflect' : undefined;
    const spanId = phase ? phaseSpanId(state.runId, state.iteration, phase) : runSpanId(state.runId);
    return { ...event, extensions: { ...event.extensions, traceparent: `00-${t.traceId}-${spanId}-01` } };
  });
}

const PHASES = new Set(['think', 'plan', 'act', 'reflect']);

interface PhaseSpan {
  phase: string;
  iteration: number;
  startedAt: string;
  endedAt: string;
}

/**
 * The phases a transition ended, read from the log entries it appended, and when the phase it
 * is now in began. Pure, so the engine can store the start before its compare-and-set and record
 * the spans only once the write has won.
 */
export function endedPhases(prev: RunState | undefined, log: Record<string, unknown>[]): { ended: PhaseSpan[]; startedAt?: string } {
  let current = prev ? { phase: String(prev.phase), iteration: prev.iteration, startedAt: prev.phaseStartedAt ?? prev.createdAt } : undefined;
  const ended: PhaseSpan[] = [];
  for (const e of log) {
    const isPhase = e.type === 'phase';
    const isEnd = e.type === 'status' && e.status !== 'running';
    if (!isPhase && !isEnd) continue;
    const at = String(e.at);
    if (current && PHASES.has(current.phase)) ended.push({ ...current, endedAt: at });
    current = isPhase ? { phase: String(e.phase), iteration: Number(e.iteration), startedAt: at } : undefined;
  }
  return { ended, startedAt: current?.startedAt };
}

/** Records the ended phases' spans and, once the run has ended, the run span. Never throws. */
export function recordRunSpans(state: RunState, ended: PhaseSpan[]): void {
  recordRunMetrics(state, ended);
  const t = state.trace;
  if (!t) return;
  const runContext = contextWithParent(t.traceId, runSpanId(state.runId));
  const attrs = { [ATTR.runId]: state.runId, [ATTR.agentId]: state.agentId, [ATTR.tenant]: state.tenant };
  for (const p of ended) {
    recordSpan(`phase ${p.phase}`, {
      spanId: phaseSpanId(state.runId, p.iteration, p.phase),
      parent: runContext,
      startTime: Date.parse(p.startedAt),
      endTime: Date.parse(p.endedAt),
      attributes: { ...attrs, [ATTR.phase]: p.phase, [ATTR.iteration]: p.iteration },
    });
  }
  if (!isTerminal(state.status)) return;
  recordSpan(`run ${state.agentId}`, {
    spanId: runSpanId(state.runId),
    parent: contextWithParent(t.traceId, t.parentSpanId),
    startTime: Date.parse(state.createdAt),
    endTime: Date.parse(state.completedAt ?? state.updatedAt),
    attributes: {
      ...attrs,
      [ATTR.outcome]: state.status,
      'ddo.iterations': state.iteration,
      ...(state.error ? { 'error.type': state.error.reason } : {}),
    },
    isError: state.status === 'failed',
  });
}

/** Phase and run durations, and finished runs by status and reason. */
function recordRunMetrics(state: RunState, ended: PhaseSpan[]): void {
  record((m) => {
    for (const p of ended) {
      m.phaseDuration.record((Date.parse(p.endedAt) - Date.parse(p.startedAt)) / 1_000, { 'ddo.agent.id': state.agentId, 'ddo.phase': p.phase });
    }
    if (!isTerminal(state.status)) return;
    const attrs = { 'ddo.agent.id': state.agentId, 'ddo.status': state.status, 'ddo.reason': state.error?.reason ?? 'none' };
    m.runsFinished.add(1, attrs);
    m.runDuration.record((Date.parse(state.completedAt ?? state.updatedAt) - Date.parse(state.createdAt)) / 1_000, attrs);
  });
}

/** A short span per decision the orchestrator publishes for audit (approvals, budget stops). */
export function recordAuditSpans(state: RunState, events: OutgoingEvent[]): void {
  const t = state.trace;
  if (!t) return;
  try {
    for (const e of events) {
      if (e.type !== EventTypes.policyDecided) continue;
      const d = (e.data as { decision: PolicyDecisionData }).decision;
      ddoTracer
        .startSpan(
          `policy ${d.outcome}`,
          {
            attributes: {
              [ATTR.runId]: state.runId,
              'ddo.policy.id': d.policyId,
              'ddo.policy.version': d.policyVersion,
              'ddo.policy.stage': d.stage,
              'ddo.policy.outcome': d.outcome,
              'ddo.policy.rule': d.rule ?? '',
              'ddo.policy.input_sha256': d.inputSha256,
            },
          },
          contextWithParent(t.traceId, runSpanId(state.runId)),
        )
        .end();
    }
  } catch {
    // Telemetry never breaks the run.
  }
}
