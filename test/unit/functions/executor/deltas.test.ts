/**
 * Streamed answer pieces leave as model.delta events with one event in flight at a time: the
 * pieces a provider yields at once go together, pieces that arrive while an event is being sent
 * go in the next one, and the reply (model.completed) comes only after every piece was sent.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { executorHandlers } from '../../../../functions/executor/handlers';
import { createProviderRegistry } from '../../../../functions/executor/providers';
import { createTools } from '../../../../functions/executor/tools';
import { EventTypes, type ModelDelta, type ModelRequested } from '../../../../shared/events/catalogue';
import type { OutgoingEvent } from '../../../../shared/events/emit';
import type { ModelRequest } from '../../../../shared/model/types';
import { EventReply } from '../../../../shared/runtime/event-boundary';
import { makeAgent, TEST_RETRY } from '../../../providers/harness';

/** A provider that yields `bursts` of pieces, waiting `gapMs` between bursts. */
function pacedProvider(bursts: string[][], gapMs: number) {
  return () => ({
    name: 'paced',
    async complete(request: ModelRequest) {
      for (const [i, burst] of bursts.entries()) {
        if (i > 0) await sleep(gapMs);
        for (const piece of burst) request.onDelta?.(piece);
      }
      const text = bursts.flat().join('');
      return { provider: 'paced', model: 'm', text, toolCalls: [], usage: { inputTokens: 1, outputTokens: 1 }, finishReason: 'stop' as const };
    },
  });
}

async function turn(bursts: string[][], gapMs: number, emitMs: number) {
  const agent = makeAgent({ provider: 'paced', name: 'm' }, []);
  const sent: OutgoingEvent[] = [];
  const handlers = executorHandlers({
    agents: new Map([[agent.id, agent]]),
    emitter: {
      emit: async (events) => {
        await sleep(emitMs);
        sent.push(...[events].flat());
      },
    },
    tools: createTools({ hosts: [], local: [] }),
    log: pino({ level: 'silent' }),
    providers: createProviderRegistry({ policy: { hosts: [], local: [] }, env: {} }, { paced: pacedProvider(bursts, gapMs) }),
    retry: TEST_RETRY,
  });
  const data: ModelRequested = {
    tenant: 'acme', runId: 'run_1', agentId: agent.id, iteration: 1, purpose: 'reflect', attempt: 1,
    messages: [{ role: 'user', content: 'hi' }], stepsLeft: 1,
  };
  const event = { id: 'e1', source: '/t', type: EventTypes.modelRequested, specversion: '1.0' as const, data };
  const result = await handlers[EventTypes.modelRequested]?.(event);
  const deltas = sent.filter((e) => e.type === EventTypes.modelDelta).map((e) => e.data as ModelDelta);
  return { deltas, sentBeforeReply: sent.length, reply: result as EventReply };
}

describe('streamed answer pieces', () => {
  it('sends the pieces a provider yields at once as one event', async () => {
    const { deltas, reply } = await turn([['one ', 'two ', 'three']], 0, 1);
    expect(deltas).toEqual([expect.objectContaining({ index: 0, text: 'one two three' })]);
    expect(reply.events.map((e) => e.type)).toEqual([EventTypes.modelCompleted]);
  });

  it('joins the pieces that arrive while one event is in flight, in order, before the reply', async () => {
    // Bursts every 5 ms, while each send takes 40 ms: the later bursts queue behind the first.
    const { deltas, sentBeforeReply } = await turn([['a'], ['b'], ['c'], ['d']], 5, 40);
    expect(deltas.map((d) => d.index)).toEqual(deltas.map((_d, i) => i));
    expect(deltas.map((d) => d.text).join('')).toBe('abcd');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.length).toBeLessThan(4);
    expect(sentBeforeReply).toBe(deltas.length);
  });

  it('streams piece by piece when the provider is slower than a send', async () => {
    const { deltas } = await turn([['a'], ['b'], ['c']], 30, 1);
    expect(deltas.map((d) => d.text)).toEqual(['a', 'b', 'c']);
  });
});
