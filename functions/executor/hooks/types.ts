/**
 * The hook interface around every tool and model call the executor makes. Spans, metrics and
 * logs are built on it, and users attach their own (an audit sink, say) by naming modules in
 * DDO_HOOKS. A hook that throws or rejects is logged and ignored: it never breaks the step.
 */
import type { Usage } from '../../../shared/model/types';

/** What is being called, and for which run. Arguments and prompts are passed separately. */
export interface CallInfo {
  kind: 'tool' | 'model';
  tenant: string;
  runId: string;
  agentId: string;
  iteration: number;
  /** Tool calls: the plan step and the tool. */
  stepId?: string;
  tool?: string;
  /** Model calls: what the turn is for and the first model of the agent's chain. */
  purpose?: 'plan' | 'reflect';
  provider?: string;
  model?: string;
}

/** How a call ended well. For model calls, `provider`/`model` name the one that answered. */
export interface CallResult {
  durationMs: number;
  output?: unknown;
  provider?: string;
  model?: string;
  usage?: Usage;
  finishReason?: string;
  toolCalls?: number;
}

/** How a call failed. */
export interface CallFailure {
  durationMs: number;
  reason: string;
  message: string;
}

/**
 * Hooks around one call. `input` is the tool's arguments or the model's messages: handle it with
 * care (it may hold personal data); the built-in hooks log it only when DDO_LOG_CONTENT=true.
 */
export interface CallHooks {
  /** Shown in the warning when one of its methods fails. */
  name: string;
  before?(call: CallInfo, input: unknown): void | Promise<void>;
  after?(call: CallInfo, result: CallResult): void | Promise<void>;
  onError?(call: CallInfo, failure: CallFailure): void | Promise<void>;
}
