import pino from 'pino';
import { withHooks } from '../../../../../functions/executor/hooks/run';
import type { CallHooks, CallInfo } from '../../../../../functions/executor/hooks/types';

const log = pino({ level: 'silent' });
const call: CallInfo = { kind: 'tool', tenant: 't', runId: 'r', agentId: 'a', iteration: 1, stepId: 's1', tool: 'calculator' };
const describe_ = (v: number, durationMs: number) => ({ durationMs, output: v });
const failure = (err: unknown, durationMs: number) => ({ durationMs, reason: 'tool_error', message: String((err as Error).message) });

describe('withHooks', () => {
  it('runs before and after hooks in order around the call and returns its value', async () => {
    const seen: string[] = [];
    const hooks: CallHooks[] = [
      { name: 'a', before: () => void seen.push('a.before'), after: (_c, r) => void seen.push(`a.after:${String(r.output)}`) },
      { name: 'b', before: () => void seen.push('b.before'), after: () => void seen.push('b.after') },
    ];

    const value = await withHooks(hooks, log, call, { expression: '1+1' }, async () => 2, describe_, failure);

    expect(value).toBe(2);
    expect(seen).toEqual(['a.before', 'b.before', 'a.after:2', 'b.after']);
  });

  it('carries on when a hook throws or rejects in any stage', async () => {
    const angry: CallHooks = {
      name: 'angry',
      before: () => {
        throw new Error('before');
      },
      after: async () => Promise.reject(new Error('after')),
    };
    const seen: string[] = [];
    const calm: CallHooks = { name: 'calm', after: () => void seen.push('calm.after') };

    const value = await withHooks([angry, calm], log, call, {}, async () => 7, describe_, failure);

    expect(value).toBe(7);
    expect(seen).toEqual(['calm.after']);
  });

  it('calls onError with the failure and rethrows the original error', async () => {
    const failures: string[] = [];
    const hooks: CallHooks[] = [{ name: 'x', onError: (_c, f) => void failures.push(`${f.reason}:${f.message}`) }];
    const boom = new Error('division by zero');

    const attempt = withHooks(hooks, log, call, {}, async () => Promise.reject(boom), describe_, failure);

    await expect(attempt).rejects.toBe(boom);
    expect(failures).toEqual(['tool_error:division by zero']);
  });
});
