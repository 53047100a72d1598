/**
 * Tool arguments, result pairing and the chat-completions mapping shared by openai and
 * watsonx.
 */
import fc from 'fast-check';
import type { ChatMessage } from '../../shared/model/types';
import { fromWireResponse, toWireMessages } from '../../functions/executor/providers/chat-format';
import { MISSING_RESULT, pairToolResults, parseToolArguments } from '../../functions/executor/providers/conversation';

describe('parseToolArguments', () => {
  test.each([
    ['{"a":1}', { a: 1 }],
    ['', {}],
    ['  ', {}],
    [{ a: 1 }, { a: 1 }],
  ])('accepts %j', (raw, value) => {
    expect(parseToolArguments(raw)).toEqual({ value });
  });

  test.each([
    ['{"a": ', /not valid JSON/],
    ['[1,2]', /an array, not a JSON object/],
    ['"text"', /a string, not a JSON object/],
    ['null', /null, not a JSON object/],
    [42, /a number, not a JSON object/],
  ])('flags %j without throwing', (raw, problem) => {
    const parsed = parseToolArguments(raw);

    expect(parsed.value).toEqual({});
    expect(parsed.error).toMatch(problem);
  });

  it('never throws, whatever the model sends', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.jsonValue()), (raw) => void parseToolArguments(raw)));
  });
});

describe('pairToolResults', () => {
  it('answers a call whose result is missing and turns an unmatched result into user text', () => {
    const messages: ChatMessage[] = [
      { role: 'assistant', toolCalls: [{ id: 'a', name: 'clock', arguments: {} }, { id: 'b', name: 'clock', arguments: {} }] },
      { role: 'tool', toolCallId: 'b', name: 'clock', content: 'noon' },
      { role: 'tool', toolCallId: 'z', name: 'clock', content: 'late', isError: true },
    ];

    expect(pairToolResults(messages)).toEqual([
      messages[0],
      { role: 'tool', toolCallId: 'a', name: 'clock', content: MISSING_RESULT, isError: true },
      messages[1],
      { role: 'user', content: 'Result of clock (call z): Error: late' },
    ]);
  });
});

describe('toWireMessages', () => {
  it('maps every role, omits empty assistant content beside tool calls and marks errors', () => {
    const wire = toWireMessages([
      { role: 'system', content: 'S' },
      { role: 'user', content: 'U' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'c', name: 'calculator', arguments: { expression: '1' } }] },
      { role: 'tool', toolCallId: 'c', name: 'calculator', content: 'bad input', isError: true },
      { role: 'assistant', content: 'Done.' },
    ]);

    expect(wire).toEqual([
      { role: 'system', content: 'S' },
      { role: 'user', content: 'U' },
      { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'calculator', arguments: '{"expression":"1"}' } }] },
      { role: 'tool', tool_call_id: 'c', content: 'Error: bad input' },
      { role: 'assistant', content: 'Done.' },
    ]);
  });
});

describe('fromWireResponse', () => {
  it('maps tool calls, flags bad arguments, and reads usage', () => {
    const reply = fromWireResponse('openai', 'gpt', {
      choices: [
        {
          message: {
            content: null,
            tool_calls: [
              { id: 'x', type: 'function', function: { name: 'clock', arguments: '{"timeZone":"UTC"}' } },
              { id: 'y', type: 'function', function: { name: 'clock', arguments: '{timeZone:UTC}' } },
            ],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 5, completion_tokens: 2 },
    });

    expect(reply.toolCalls[0]).toEqual({ id: 'x', name: 'clock', arguments: { timeZone: 'UTC' } });
    expect(reply.toolCalls[1]).toMatchObject({ id: 'y', arguments: {}, argumentsError: expect.stringMatching(/not valid JSON/) });
    expect(reply).toMatchObject({ finishReason: 'tool_calls', usage: { inputTokens: 5, outputTokens: 2 } });
    expect(reply).not.toHaveProperty('text');
  });

  it('reads a truncated answer as length and missing usage as zero', () => {
    const reply = fromWireResponse('openai', 'gpt', { choices: [{ message: { content: 'Half' }, finish_reason: 'length' }] });

    expect(reply).toMatchObject({ text: 'Half', finishReason: 'length', usage: { inputTokens: 0, outputTokens: 0 } });
  });
});
