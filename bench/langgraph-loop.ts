/**
 * The in-process baseline: DDO's loop, THINK → PLAN → ACT → REFLECT, as a LangGraph.js
 * StateGraph in one process. It runs the product's own pieces, imported directly: the system
 * prompt, the offline model (with the benchmark's scripted inputs), the planner's plan builder
 * and validation, and the executor's tools with argument validation. What it leaves out is
 * exactly what DDO adds: events, the broker, separate processes and the memory service.
 */
import { Annotation, END, MemorySaver, START, StateGraph } from '@langchain/langgraph';
import path from 'node:path';
import { parseAgentFile } from '../shared/agents/registry';
import type { Plan } from '../shared/events/catalogue';
import { systemPrompt } from '../shared/model/prompt';
import type { ChatMessage, ToolCall } from '../shared/model/types';
import { findTool } from '../shared/tools/catalogue';
import { egressPolicyFromEnv } from '../functions/executor/egress';
import { OfflineProvider } from '../functions/executor/providers/offline';
import { createTools, runTool } from '../functions/executor/tools';
import { buildPlan } from '../functions/planner/plan';
import { installScriptedOffline } from './offline-scripted';
import { PATHS } from './paths';

const LoopState = Annotation.Root({
  input: Annotation<string>,
  messages: Annotation<ChatMessage[]>,
  iteration: Annotation<number>,
  steps: Annotation<Plan['steps'] | undefined>,
  proposal: Annotation<ToolCall[] | undefined>,
  output: Annotation<string | undefined>,
  status: Annotation<'running' | 'completed' | 'failed'>,
});
type State = typeof LoopState.State;

/** A compiled loop: `run` resolves with the final answer of one run. */
export interface InProcessLoop {
  run(input: string, runId: string): Promise<{ output: string; iterations: number }>;
}

/** Builds the loop for the benchmark agent; `isCheckpointed` adds LangGraph's MemorySaver. */
export function createLangGraphLoop(isCheckpointed = false): InProcessLoop {
  installScriptedOffline();
  const agent = parseAgentFile(path.join(PATHS.agentsDir, 'bench.yaml'));
  const model = new OfflineProvider();
  const tools = createTools(egressPolicyFromEnv());
  const toolSpecs = agent.tools.map((t) => findTool(t)).filter((t) => t !== undefined);
  const stepTimeoutMs = (agent.limits.stepTimeoutSeconds ?? 30) * 1_000;
  const complete = (messages: ChatMessage[]) =>
    model.complete({ model: agent.model.name, messages, tools: toolSpecs });

  const think = (s: State): Partial<State> => {
    if (s.iteration > 0) return { iteration: s.iteration + 1 };
    const system: ChatMessage = { role: 'system', content: systemPrompt(agent.instructions, []) };
    return { iteration: 1, messages: [system, { role: 'user', content: s.input }] };
  };

  const plan = async (s: State): Promise<Partial<State>> => {
    // Like the planner: a proposal from REFLECT is validated, not sent to the model again.
    const reply = s.proposal ? undefined : await complete(s.messages);
    const calls = s.proposal ?? reply?.toolCalls ?? [];
    const { plan: built, problems } = buildPlan(agent, calls, reply?.text);
    if (problems.length > 0) return { status: 'failed', output: problems[0].message };
    const assistant: ChatMessage = { role: 'assistant', ...(calls.length ? { toolCalls: calls } : {}) };
    if (built.steps.length === 0) return { status: 'completed', output: built.answer ?? '' };
    return { steps: built.steps, proposal: undefined, messages: [...s.messages, assistant] };
  };

  const act = async (s: State): Promise<Partial<State>> => {
    const steps = s.steps ?? [];
    // Steps of one reply have no dependencies, so all run at once, as the executor would.
    const results = await Promise.all(
      steps.map(async (step): Promise<ChatMessage> => {
        const base = { role: 'tool' as const, toolCallId: step.toolCallId ?? step.id, name: step.tool };
        try {
          const out = await runTool(tools, step.tool, step.args, AbortSignal.timeout(stepTimeoutMs));
          return { ...base, content: JSON.stringify(out.output ?? null) };
        } catch (err) {
          return { ...base, content: `Error: ${(err as Error).message}`, isError: true };
        }
      }),
    );
    return { messages: [...s.messages, ...results] };
  };

  const reflect = async (s: State): Promise<Partial<State>> => {
    const reply = await complete(s.messages);
    if (reply.toolCalls.length === 0) return { status: 'completed', output: reply.text ?? '' };
    if (s.iteration >= agent.limits.maxIterations) return { status: 'failed', output: 'max_iterations' };
    return { proposal: reply.toolCalls };
  };

  const graph = new StateGraph(LoopState)
    .addNode('think', think)
    .addNode('plan', plan)
    .addNode('act', act)
    .addNode('reflect', reflect)
    .addEdge(START, 'think')
    .addEdge('think', 'plan')
    .addConditionalEdges('plan', (s: State) => (s.status === 'running' ? 'act' : END))
    .addEdge('act', 'reflect')
    .addConditionalEdges('reflect', (s: State) => (s.status === 'running' ? 'think' : END))
    .compile(isCheckpointed ? { checkpointer: new MemorySaver() } : {});

  return {
    async run(input, runId) {
      const initial = { input, messages: [], iteration: 0, status: 'running' as const };
      // Each iteration is four supersteps; the default limit of 25 would stop at six iterations.
      const config = {
        recursionLimit: 4 * agent.limits.maxIterations + 4,
        configurable: { thread_id: runId },
      };
      const final = await graph.invoke(initial, config);
      if (final.status !== 'completed') throw new Error(`The in-process run failed: ${final.output}`);
      return { output: final.output ?? '', iterations: final.iteration };
    },
  };
}
