import path from 'node:path';
import { parseAgentFile } from '../../../../shared/agents/registry';
import type { AgentDefinition } from '../../../../shared/agents/schema';
import type { ToolCall } from '../../../../shared/model/types';
import { buildPlan } from '../../../../functions/planner/plan';

const DEMO_FILE = path.resolve(__dirname, '../../../../agents/demo.yaml');

function makeCall(id: string, name: string, args: Record<string, unknown>): ToolCall {
  return { id, name, arguments: args };
}

describe('buildPlan', () => {
  let demo: AgentDefinition;

  beforeAll(() => {
    demo = parseAgentFile(DEMO_FILE);
  });

  it('turns valid tool calls into independent steps in call order', () => {
    const calls = [
      makeCall('call_1', 'calculator', { expression: '(17 * 23) + 4' }),
      makeCall('call_2', 'clock', { timeZone: 'Asia/Tokyo' }),
    ];

    const { plan, problems } = buildPlan(demo, calls);

    expect(problems).toEqual([]);
    expect(plan).toEqual({
      steps: [
        { id: 's1', tool: 'calculator', args: { expression: '(17 * 23) + 4' }, dependsOn: [], toolCallId: 'call_1' },
        { id: 's2', tool: 'clock', args: { timeZone: 'Asia/Tokyo' }, dependsOn: [], toolCallId: 'call_2' },
      ],
    });
  });

  it('reports a call to a tool that does not exist', () => {
    const calls = [makeCall('call_1', 'weather', { city: 'Paris' })];

    const { problems } = buildPlan(demo, calls);

    expect(problems).toEqual([{ toolCallId: 'call_1', tool: 'weather', message: expect.stringContaining('"weather"') }]);
  });

  it('reports a call to a built-in tool the agent may not use', () => {
    const agent: AgentDefinition = { ...demo, tools: ['calculator'] };
    const calls = [makeCall('call_1', 'calculator', { expression: '1 + 1' }), makeCall('call_2', 'clock', { timeZone: 'UTC' })];

    const { problems } = buildPlan(agent, calls);

    expect(problems).toEqual([{ toolCallId: 'call_2', tool: 'clock', message: expect.stringContaining('"clock"') }]);
    expect(problems[0].message).toContain('calculator');
  });

  test.each([
    ['a wrong type', { expression: 42 }, 'arguments/expression'],
    ['a missing field', {}, 'arguments/expression'],
    ['an extra field', { expression: '1 + 1', precision: 2 }, 'arguments/precision'],
    ['an empty string', { expression: '' }, 'arguments/expression'],
  ])('reports arguments with %s, naming the field', (_label, args, field) => {
    const calls = [makeCall('call_1', 'calculator', args)];

    const { problems } = buildPlan(demo, calls);

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ toolCallId: 'call_1', tool: 'calculator' });
    expect(problems[0].message).toMatch(/^Invalid arguments for calculator: /);
    expect(problems[0].message).toContain(field);
  });

  it('lists one problem per bad call and none for the good ones', () => {
    const calls = [
      makeCall('call_1', 'calculator', { expression: '1 + 1' }),
      makeCall('call_2', 'weather', {}),
      makeCall('call_3', 'text_stats', { text: 7 }),
    ];

    const { plan, problems } = buildPlan(demo, calls);

    expect(plan.steps).toHaveLength(3);
    expect(problems.map((p) => p.toolCallId)).toEqual(['call_2', 'call_3']);
  });

  test.each([
    ['the answer given', 'Hello!', 'Hello!'],
    ['an empty answer when none is given', undefined, ''],
  ])('makes a plan with no steps and %s when there are no calls', (_label, answer, expected) => {
    const { plan, problems } = buildPlan(demo, [], answer);

    expect(plan).toEqual({ steps: [], answer: expected });
    expect(problems).toEqual([]);
  });

  it('reports a plan with more steps than the plan schema allows', () => {
    const calls = Array.from({ length: 65 }, (_, i) => makeCall(`call_${i}`, 'calculator', { expression: '1 + 1' }));

    const { problems } = buildPlan(demo, calls);

    expect(problems).toEqual([{ toolCallId: '', tool: '', message: expect.stringContaining('plan/steps') }]);
  });
});
