/**
 * Renders a run's event log as it streams: each phase when it starts and when it ends (with
 * its duration, from the server's timestamps), each step with its tool and outcome, model
 * output deltas as they arrive, and policy decisions. Entry types it does not know are skipped,
 * so an older CLI keeps working against a newer server.
 */
import type { LogEntry, RunRecord, RunStep } from './client';
import { between, compactJson, formatDuration, styleStatus, type Styles } from './format';

/** Where the renderer writes, and how. */
export interface RenderTarget {
  write(text: string): void;
  styles: Styles;
  /** On a terminal a phase's start line is rewritten in place when it ends. */
  canRewrite: boolean;
}

interface OpenPhase {
  phase: string;
  at: string;
}

const PHASE_WIDTH = 8;

/** Turns log entries into lines of progress. */
export class RunRenderer {
  private open?: OpenPhase;
  private iteration = 0;
  private isMidLine = false;
  private lastLineWasStartOf?: string;

  constructor(private readonly target: RenderTarget) {}

  /** Renders one entry. */
  entry(e: LogEntry): void {
    switch (e.type) {
      case 'phase':
        return this.phase(e);
      case 'step':
        return this.step(e);
      case 'delta':
        return this.delta(e);
      case 'policy':
        return this.policy(e);
      case 'approval':
        return this.approval(e);
      case 'status':
        if (e.status !== 'running') this.closePhase(e.at);
        return;
      default:
        return;
    }
  }

  /** The closing summary: status, duration, iterations and tokens. */
  summary(run: RunRecord): string {
    const s = this.target.styles;
    const took = between(run.createdAt, run.completedAt ?? run.updatedAt) ?? NaN;
    const parts = [`${s.bold(styleStatus(run.status, s))} in ${formatDuration(took)}`];
    parts.push(plural(run.iterations, 'iteration'));
    const usage = run.usage ?? {};
    const input = usage.inputTokens ?? 0;
    const output = usage.outputTokens ?? 0;
    parts.push(`${input + output} tokens (${input} in, ${output} out)`);
    if (usage.modelCalls !== undefined) parts.push(plural(usage.modelCalls, 'model call'));
    return parts.join(' · ');
  }

  /** Ends a line that deltas left open, so what follows starts on its own line. */
  endLine(): void {
    if (this.isMidLine) this.target.write('\n');
    this.isMidLine = false;
  }

  private phase(e: LogEntry): void {
    const s = this.target.styles;
    this.closePhase(e.at);
    const iteration = Number(e.iteration);
    if (iteration !== this.iteration) {
      this.iteration = iteration;
      this.line(s.bold(`iteration ${iteration}`));
    }
    const phase = String(e.phase);
    this.open = { phase, at: e.at };
    this.line(`  ${s.cyan(phase.padEnd(PHASE_WIDTH))} started${phaseDetail(e)}`);
    this.lastLineWasStartOf = phase;
  }

  private closePhase(at: string): void {
    if (!this.open) return;

    const { phase } = this.open;
    const took = formatDuration(between(this.open.at, at) ?? NaN);
    const text = `  ${this.target.styles.cyan(phase.padEnd(PHASE_WIDTH))} done in ${took}`;
    this.open = undefined;
    if (this.target.canRewrite && this.lastLineWasStartOf === phase && !this.isMidLine) {
      // Move up over the start line and replace it: a terminal shows one line per phase.
      this.target.write(`\u001b[1A\r\u001b[2K${text}\n`);
      this.lastLineWasStartOf = undefined;
      return;
    }
    this.line(text);
  }

  private step(e: LogEntry): void {
    const s = this.target.styles;
    const name = `${String(e.stepId)} ${String(e.tool)}`;
    if (e.status === 'running') {
      this.line(`    ${name}  ${s.dim('running')}`);
      return;
    }
    const took = typeof e.durationMs === 'number' ? ` in ${formatDuration(e.durationMs)}` : '';
    const error = e.error as { reason?: string; message?: string } | undefined;
    const outcome = styleStatus(String(e.status), s);
    const why = error ? `: ${error.reason ?? 'error'}: ${error.message ?? ''}` : '';
    this.line(`    ${name}  ${outcome}${took}${why}`);
  }

  private delta(e: LogEntry): void {
    if (typeof e.text !== 'string' || e.text === '') return;

    if (!this.isMidLine) {
      this.endLine();
      this.target.write('    ');
      this.lastLineWasStartOf = undefined;
    }
    // Continuation lines keep the indent, so streamed text reads as one block under its phase.
    this.target.write(e.text.replace(/\n/g, '\n    '));
    this.isMidLine = !e.text.endsWith('\n');
  }

  private policy(e: LogEntry): void {
    const s = this.target.styles;
    // The catalogue's policy decisions say `outcome`; `decision` is accepted as well.
    const decision = String(e.outcome ?? e.decision ?? 'decision');
    const subject = [e.stage, e.stepId, e.tool].filter((x) => typeof x === 'string').join(' ');
    const rule = [e.policyId, e.rule].filter((x) => typeof x === 'string').join(' ');
    const why = [rule, e.reason].filter((x) => typeof x === 'string' && x !== '').join(': ');
    const paint = decision === 'allow' ? s.green : decision === 'deny' ? s.red : s.yellow;
    const styled = paint(decision);
    this.line(`    policy ${styled}${subject ? ` ${subject}` : ''}${why ? `: ${why}` : ''}`);
  }

  /** A held call's approval: requested (with why and until when), approved, rejected or expired. */
  private approval(e: LogEntry): void {
    const s = this.target.styles;
    const state = String(e.state ?? 'approval');
    const paint = state === 'approved' ? s.green : state === 'requested' ? s.yellow : s.red;
    const why = state === 'requested' ? [e.reason, e.expiresAt ? `until ${String(e.expiresAt)}` : undefined] : [e.comment];
    const detail = why.filter((x) => typeof x === 'string' && x !== '').join(', ');
    this.line(`    ${e.stepId} ${e.tool}  approval ${paint(state)}${detail ? `: ${detail}` : ''}`);
  }

  private line(text: string): void {
    this.endLine();
    this.target.write(`${text}\n`);
    this.lastLineWasStartOf = undefined;
  }
}

function phaseDetail(e: LogEntry): string {
  const bits: string[] = [];
  if (typeof e.steps === 'number') bits.push(plural(e.steps, 'step'));
  if (typeof e.facts === 'number' && e.facts > 0) bits.push(`${plural(e.facts, 'fact')} recalled`);
  if (typeof e.history === 'number' && e.history > 0) {
    bits.push(plural(e.history, 'earlier message'));
  }
  return bits.length > 0 ? ` (${bits.join(', ')})` : '';
}

/** One step of a run record as a line: id, tool, status, duration, arguments and result. */
export function describeStep(step: RunStep, styles: Styles): string {
  const took = step.durationMs !== undefined ? ` ${formatDuration(step.durationMs)}` : '';
  const status = styleStatus(step.status, styles);
  const args = step.args !== undefined ? ` ${compactJson(step.args, 80)}` : '';
  const result = step.error
    ? ` → ${step.error.reason}: ${step.error.message}`
    : step.output !== undefined
      ? ` → ${compactJson(step.output, 100)}`
      : '';
  return `${step.id} ${step.tool} ${status}${took}${args}${result}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
