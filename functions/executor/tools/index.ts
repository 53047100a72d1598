/**
 * The executor's tool registry: validates a step's arguments against the tool's schema and runs
 * it with the step's abort signal. Tool faults come back as failures the model can see.
 */
import { BadRequestError, DdoError } from '../../../shared/errors';
import { describeError, validatorFor } from '../../../shared/schema';
import { findTool } from '../../../shared/tools/catalogue';
import type { EgressPolicy } from '../egress';
import { evaluate, formatNumber } from './calculator';
import { httpGet } from './http-get';
import { clock, remember, textStats } from './simple';

export interface ToolResult {
  output: unknown;
  /** Facts the step wants remembered; the orchestrator writes them to memory. */
  remember?: string[];
}

type Args = Record<string, unknown>;
type ToolFn = (args: Args, signal: AbortSignal) => Promise<ToolResult>;

/** Builds the tool functions; `egress` is the policy http_get is held to. */
export function createTools(egress: EgressPolicy): Record<string, ToolFn> {
  return {
    calculator: async (a) => {
      const value = evaluate(String(a.expression));
      return { output: { expression: a.expression, result: Number(formatNumber(value)) } };
    },
    clock: async (a) => ({ output: clock(a as { timeZone: string }) }),
    text_stats: async (a) => ({ output: textStats(a as { text: string }) }),
    remember: async (a) => {
      const out = remember(a as { fact: string });
      return { output: out, remember: [out.remembered] };
    },
    http_get: async (a, signal) => ({ output: await httpGet(egress, a as { url: string }, signal) }),
  };
}

/** Validates the arguments and runs the named tool. */
export async function runTool(tools: Record<string, ToolFn>, name: string, args: Args, signal: AbortSignal): Promise<ToolResult> {
  const spec = findTool(name);
  const fn = tools[name];
  if (!spec || !fn) throw new DdoError(`There is no tool named ${name}.`, { status: 400, reason: 'unknown_tool' });
  const validate = validatorFor(spec.inputSchema);
  if (!validate(args)) throw new BadRequestError(`Invalid arguments: ${describeError(validate.errors, 'arguments').message}.`, 'arguments');
  return fn(args, signal);
}
