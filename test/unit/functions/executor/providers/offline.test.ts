import { OFFLINE_REFUSAL, OfflineProvider } from '../../../../../functions/executor/providers/offline';
import { systemPrompt } from '../../../../../shared/model/prompt';
import type { ChatMessage, ModelProvider, ModelReply, ModelRequest, ToolSpec } from '../../../../../shared/model/types';
import { BUILTIN_TOOLS, findTool } from '../../../../../shared/tools/catalogue';

const INSTRUCTIONS = 'You are a careful assistant.';

function makeRequest(messages: ChatMessage[], tools: readonly ToolSpec[] = BUILTIN_TOOLS): ModelRequest {
  return { model: 'offline-1', messages, tools: [...tools] };
}

function conversation(input: string, facts: string[] = []): ChatMessage[] {
  return [
    { role: 'system', content: systemPrompt(INSTRUCTIONS, facts) },
    { role: 'user', content: input },
  ];
}

/** The conversation after `reply` asked for one tool and the tool answered with `content`. */
function withToolResult(messages: ChatMessage[], reply: ModelReply, content: string, isError = false): ChatMessage[] {
  const [call] = reply.toolCalls;
  return [
    ...messages,
    { role: 'assistant', toolCalls: reply.toolCalls },
    { role: 'tool', toolCallId: call.id, name: call.name, content, ...(isError ? { isError } : {}) },
  ];
}

describe('OfflineProvider.complete', () => {
  const provider: ModelProvider = new OfflineProvider();
  const complete = (request: ModelRequest) => provider.complete(request, new AbortController().signal);

  test.each([
    ['What is (17 * 23) + 4?', 'calculator', { expression: '(17 * 23) + 4' }],
    ['what is seventeen times twenty three plus four', 'calculator', { expression: '17 * 23 + 4' }],
    ['what is ten minus four', 'calculator', { expression: '10 - 4' }],
    ['What time is it in Asia/Tokyo?', 'clock', { timeZone: 'Asia/Tokyo' }],
    ["How many words are in 'the quick brown fox'?", 'text_stats', { text: 'the quick brown fox' }],
    ['Remember that my favourite colour is teal.', 'remember', { fact: 'my favourite colour is teal' }],
  ])('answers %j with one %s call', async (input, tool, args) => {
    const request = makeRequest(conversation(input));

    const reply = await complete(request);

    expect(reply.toolCalls).toEqual([{ id: expect.any(String), name: tool, arguments: args }]);
    expect(reply.finishReason).toBe('tool_calls');
    expect(reply.text).toBeUndefined();
    expect(reply).toMatchObject({ provider: 'offline', model: 'offline-1' });
  });

  it('proposes arguments that satisfy the tool input schema', async () => {
    const request = makeRequest(conversation('What time is it in Asia/Tokyo?'));

    const reply = await complete(request);

    const spec = findTool(reply.toolCalls[0].name);
    expect(spec?.inputSchema).toMatchObject({ required: Object.keys(reply.toolCalls[0].arguments) });
  });

  it('answers from the calculator result once it arrives', async () => {
    const messages = conversation('What is (17 * 23) + 4?');
    const first = await complete(makeRequest(messages));
    const result = JSON.stringify({ expression: '(17 * 23) + 4', result: 395 });

    const reply = await complete(makeRequest(withToolResult(messages, first, result)));

    expect(reply.toolCalls).toEqual([]);
    expect(reply.finishReason).toBe('stop');
    expect(reply.text).toContain('395');
  });

  test.each([
    ["How many words are in 'the quick brown fox'?", { words: 4, characters: 19, charactersWithoutSpaces: 16 }, /\b4 words\b/],
    ["How many characters are in 'hello world'?", { words: 2, characters: 11, charactersWithoutSpaces: 10 }, /\b11 characters\b/],
    ["How many words are in 'hello'?", { words: 1, characters: 5, charactersWithoutSpaces: 5 }, /\b1 word\b/],
  ])('answers %j from the text_stats result in the unit asked for', async (input, stats, expected) => {
    const messages = conversation(input);
    const first = await complete(makeRequest(messages));

    const reply = await complete(makeRequest(withToolResult(messages, first, JSON.stringify(stats))));

    expect(first.toolCalls[0].name).toBe('text_stats');
    expect(reply.text).toMatch(expected);
  });

  it('answers from the clock result with the zone and the local time', async () => {
    const messages = conversation('What time is it in Asia/Tokyo?');
    const first = await complete(makeRequest(messages));
    const result = JSON.stringify({ timeZone: 'Asia/Tokyo', localTime: '2024-01-15T21:34:56+09:00', utc: '2024-01-15T12:34:56.000Z' });

    const reply = await complete(makeRequest(withToolResult(messages, first, result)));

    expect(reply.text).toContain('Asia/Tokyo');
    expect(reply.text).toContain('2024-01-15T21:34:56+09:00');
  });

  it('confirms what it was asked to remember once the remember tool answers', async () => {
    const messages = conversation('Remember that my favourite colour is teal.');
    const first = await complete(makeRequest(messages));
    const result = JSON.stringify({ remembered: 'my favourite colour is teal' });

    const reply = await complete(makeRequest(withToolResult(messages, first, result)));

    expect(reply.toolCalls).toEqual([]);
    expect(reply.text).toContain('your favourite colour is teal');
  });

  it('reports a tool failure instead of an answer', async () => {
    const messages = conversation('What is (17 * 23) + 4?');
    const first = await complete(makeRequest(messages));

    const reply = await complete(makeRequest(withToolResult(messages, first, 'Error: Division by zero.', true)));

    expect(reply.toolCalls).toEqual([]);
    expect(reply.text).toContain('calculator');
    expect(reply.text).toContain('Division by zero.');
    expect(reply.text).not.toContain('Error:');
  });

  it('recalls a remembered fact from the system prompt without calling a tool', async () => {
    const request = makeRequest(conversation('What is my favourite colour?', ['my favourite colour is teal']));

    const reply = await complete(request);

    expect(reply.toolCalls).toEqual([]);
    expect(reply.text).toContain('teal');
    expect(reply.text).not.toBe(OFFLINE_REFUSAL);
  });

  it('says it does not remember when no fact matches', async () => {
    const request = makeRequest(conversation('What is my favourite colour?'));

    const reply = await complete(request);

    expect(reply.toolCalls).toEqual([]);
    expect(reply.text).toMatch(/don't remember/i);
    expect(reply.text).not.toContain('teal');
  });

  it('refuses an open question', async () => {
    const request = makeRequest(conversation('Write a poem about the sea.'));

    const reply = await complete(request);

    expect(reply).toMatchObject({ text: OFFLINE_REFUSAL, toolCalls: [], finishReason: 'stop' });
  });

  test.each([
    ['What is (17 * 23) + 4?', 'calculator'],
    ['What time is it in Asia/Tokyo?', 'clock'],
    ['Remember that my favourite colour is teal.', 'remember'],
  ])('does not call a tool the request does not offer (%j without %s)', async (input, missing) => {
    const tools = BUILTIN_TOOLS.filter((t) => t.name !== missing);

    const reply = await complete(makeRequest(conversation(input), tools));

    expect(reply.toolCalls.map((c) => c.name)).not.toContain(missing);
  });

  it('calls no tool at all when the request offers none', async () => {
    const reply = await complete(makeRequest(conversation('What is (17 * 23) + 4?'), []));

    expect(reply.toolCalls).toEqual([]);
    expect(reply.text).toBe(OFFLINE_REFUSAL);
  });

  it('gives each call of a conversation a fresh id', async () => {
    const messages = conversation('What is (17 * 23) + 4?');
    const first = await complete(makeRequest(messages));
    const followUp: ChatMessage[] = [
      ...withToolResult(messages, first, JSON.stringify({ expression: '(17 * 23) + 4', result: 395 })),
      { role: 'assistant', content: '(17 * 23) + 4 = 395.' },
      { role: 'user', content: 'What is 2 + 2?' },
    ];

    const second = await complete(makeRequest(followUp));

    expect(second.toolCalls).toHaveLength(1);
    expect(second.toolCalls[0].id).not.toBe(first.toolCalls[0].id);
  });

  test.each([
    ['a tool call', 'What is (17 * 23) + 4?'],
    ['a refusal', 'Write a poem about the sea.'],
  ])('reports positive token usage for %s', async (_label, input) => {
    const reply = await complete(makeRequest(conversation(input)));

    expect(reply.usage.inputTokens).toBeGreaterThan(0);
    expect(reply.usage.outputTokens).toBeGreaterThan(0);
  });
});
