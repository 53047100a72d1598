/** The live renderer on approval entries: a paused run shows what waits and why, then the decision. */
import type { LogEntry } from '../../cli/client';
import { stylesFor } from '../../cli/format';
import { RunRenderer } from '../../cli/render';

const entry = (seq: number, fields: Record<string, unknown>): LogEntry => ({ seq, at: '2026-01-01T00:00:00.000Z', type: 'approval', ...fields });

describe('RunRenderer on approval entries', () => {
  it('prints the request with its reason and expiry, then the decision with its comment', () => {
    let text = '';
    const renderer = new RunRenderer({ write: (s) => (text += s), styles: stylesFor(false), canRewrite: false });

    renderer.entry(entry(1, { stepId: 's1', tool: 'calculator', state: 'requested', reason: 'needs a person', expiresAt: '2026-01-01T01:00:00.000Z' }));
    renderer.entry(entry(2, { stepId: 's1', tool: 'calculator', state: 'rejected', comment: 'not today' }));
    renderer.endLine();

    expect(text).toBe(
      [
        '    s1 calculator  approval requested: needs a person, until 2026-01-01T01:00:00.000Z',
        '    s1 calculator  approval rejected: not today',
        '',
      ].join('\n'),
    );
  });
});
