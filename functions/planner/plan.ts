/**
 * Turns a model's tool calls into a plan and validates it: the plan schema, each tool being one
 * the agent may use, and each step's arguments against that tool's input schema. Calls from
 * one model reply are independent, so their steps have no dependencies on each other.
 */
import type { AgentDefinition } from '../../shared/agents/schema';
import { planSchema } from '../../shared/events/schemas';
import type { Plan } from '../../shared/events/catalogue';
import type { ToolCall } from '../../shared/model/types';
import { describeError, validatorFor } from '../../shared/schema';
import { findTool } from '../../shared/tools/catalogue';

export interface PlanProblem {
  toolCallId: string;
  tool: string;
  message: string;
}

/** Builds the plan for `toolCalls` (or a direct answer) and lists every problem it has. */
export function buildPlan(agent: AgentDefinition, toolCalls: ToolCall[], answer?: string): { plan: Plan; problems: PlanProblem[] } {
  const plan: Plan = {
    steps: toolCalls.map((call, i) => ({
      id: `s${i + 1}`,
      tool: call.name,
      args: call.arguments,
      dependsOn: [],
      toolCallId: call.id,
    })),
    ...(toolCalls.length === 0 ? { answer: answer ?? '' } : {}),
  };
  const problems: PlanProblem[] = [];
  const validatePlan = validatorFor(planSchema);
  if (!validatePlan(plan)) {
    problems.push({ toolCallId: '', tool: '', message: describeError(validatePlan.errors, 'plan').message });
  }
  for (const call of toolCalls) {
    const spec = findTool(call.name);
    if (!spec || !agent.tools.includes(call.name)) {
      problems.push({ toolCallId: call.id, tool: call.name, message: `There is no tool named ${JSON.stringify(call.name)}; use one of ${agent.tools.join(', ')}.` });
      continue;
    }
    const validate = validatorFor(spec.inputSchema);
    if (!validate(call.arguments)) {
      const { message } = describeError(validate.errors, 'arguments');
      problems.push({ toolCallId: call.id, tool: call.name, message: `Invalid arguments for ${call.name}: ${message}.` });
    }
  }
  return { plan, problems };
}
