/**
 * The Converse mapping: Bedrock's rules hold for any conversation we might send, including
 * ones broken by failed, cut-short or repaired steps, and replies map back exactly.
 */
import fc from 'fast-check';
import type { ChatMessage, ToolSpec } from '../../shared/model/types';
import { CONTINUE_TEXT, fromConverseOutput, toConverseInput } from '../../functions/executor/providers/bedrock-format';
import { EMPTY_TEXT } from '../../functions/executor/providers/conversation';
import { converseViolations } from './fakes/bedrock';

const TOOLS: ToolSpec[] = [{ name: 'calculator', description: 'Calculates.', inputSchema: { type: 'object' } }];

const text = fc.oneof(fc.constant(''), fc.constant('  '), fc.string({ maxLength: 12 }));
const id = fc.oneof(fc.constantFrom('call_1', 'call_2', 'call.3:x', 'tooluse-4'), fc.string({ minLength: 1, maxLength: 70 }));
const call = fc.record({ id, name: fc.constant('calculator'), arguments: fc.constant({}) });
const message: fc.Arbitrary<ChatMessage> = fc.oneof(
  fc.record({ role: fc.constant('system' as const), content: text }),
  fc.record({ role: fc.constant('user' as const), content: text }),
  fc.record({
    role: fc.constant('assistant' as const),
    content: fc.option(text, { nil: undefined }),
    toolCalls: fc.option(fc.array(call, { maxLength: 3 }), { nil: undefined }),
  }),
  fc.record({ role: fc.constant('tool' as const), toolCallId: id, name: fc.constant('calculator'), content: text, isError: fc.boolean() }),
);

describe('toConverseInput', () => {
  it('keeps every Bedrock rule for any conversation, with or without tools', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 14 }), fc.boolean(), (messages, withTools) => {
        const input = toConverseInput(messages, withTools ? TOOLS : [], true);

        expect(converseViolations(input as never)).toEqual([]);
        expect(input.messages[input.messages.length - 1].role).toBe('user');
        const ids = input.messages.flatMap((m) => m.content.flatMap((b) => ('toolUse' in b ? [b.toolUse.toolUseId] : [])));
        for (const toolUseId of ids) expect(toolUseId).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      }),
      { numRuns: 400 },
    );
  });

  it('merges same-role messages, pairs results by id, puts them first and fills empty text', () => {
    const input = toConverseInput(
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: '' },
        { role: 'user', content: 'Add 1 and 2.' },
        { role: 'assistant', toolCalls: [{ id: 'c1', name: 'calculator', arguments: { expression: '1+2' } }] },
        { role: 'user', content: 'hurry' },
        { role: 'tool', toolCallId: 'c1', name: 'calculator', content: '3' },
      ],
      TOOLS,
      false,
    );

    expect(input.system).toEqual([{ text: 'Be brief.' }]);
    expect(input.messages).toEqual([
      { role: 'user', content: [{ text: EMPTY_TEXT }] },
      { role: 'assistant', content: [{ text: 'Hello.' }] },
      { role: 'user', content: [{ text: EMPTY_TEXT }, { text: 'Add 1 and 2.' }] },
      { role: 'assistant', content: [{ toolUse: { toolUseId: 'c1', name: 'calculator', input: { expression: '1+2' } } }] },
      {
        role: 'user',
        content: [{ toolResult: { toolUseId: 'c1', content: [{ text: '3' }] } }, { text: 'hurry' }],
      },
    ]);
  });

  it('tells earlier tool calls as text when the agent has no tools, and never ends on the assistant', () => {
    const input = toConverseInput(
      [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', toolCalls: [{ id: 'c1', name: 'calculator', arguments: { expression: '2' } }] },
        { role: 'tool', toolCallId: 'c1', name: 'calculator', content: '2', isError: false },
        { role: 'assistant', content: 'It is 2.' },
      ],
      [],
      true,
    );

    expect(input.toolConfig).toBeUndefined();
    expect(input.messages.slice(1)).toEqual([
      { role: 'assistant', content: [{ text: 'Called calculator with {"expression":"2"}.' }] },
      { role: 'user', content: [{ text: 'Result of calculator: 2' }] },
      { role: 'assistant', content: [{ text: 'It is 2.' }] },
      { role: 'user', content: [{ text: CONTINUE_TEXT }] },
    ]);
  });
});

describe('fromConverseOutput', () => {
  it('maps text and toolUse blocks, stop reasons and usage', () => {
    const reply = fromConverseOutput('bedrock', 'm', {
      output: {
        message: {
          content: [{ text: 'Let me add.' }, { toolUse: { toolUseId: 't1', name: 'calculator', input: { expression: '1+2' } } }],
        },
      },
      stopReason: 'tool_use',
      usage: { inputTokens: 12, outputTokens: 4 },
    });

    expect(reply).toEqual({
      provider: 'bedrock',
      model: 'm',
      text: 'Let me add.',
      toolCalls: [{ id: 't1', name: 'calculator', arguments: { expression: '1+2' } }],
      usage: { inputTokens: 12, outputTokens: 4 },
      finishReason: 'tool_calls',
    });
  });

  test.each([
    ['end_turn', 'stop'],
    ['max_tokens', 'length'],
    ['guardrail_intervened', 'stop'],
  ])('maps stopReason %s to %s', (stopReason, finishReason) => {
    const reply = fromConverseOutput('bedrock', 'm', { output: { message: { content: [{ text: 'x' }] } }, stopReason });

    expect(reply.finishReason).toBe(finishReason);
  });
});
