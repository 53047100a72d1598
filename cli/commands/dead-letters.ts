/**
 * `ddo dead-letters` lists the events the local broker could never deliver, with the reason
 * each receiver gave; `ddo dead-letters replay <id>` sends one through its broker again.
 */
import { expectOk, send } from '../client';
import type { CommandContext } from '../context';
import { EXIT } from '../errors';
import { table } from '../format';
import { deadLettersUrl } from '../settings';

const TIMEOUT_MS = 15_000;

/** One entry of the broker's `GET /dead-letters`. */
interface DeadLetter {
  id: string;
  eventId: string;
  type: string;
  source: string;
  errorCode: number | null;
  errorData: string | null;
  receivedAt: string;
  replayedAt: string | null;
}

/** Lists the dead letters, oldest first, as the broker keeps them. */
export async function listDeadLettersCommand(
  opts: { json?: boolean },
  ctx: CommandContext,
): Promise<number> {
  const url = deadLettersUrl(ctx.settings);
  const init = { signal: AbortSignal.timeout(TIMEOUT_MS) };
  const res = await expectOk(await send('the broker', url, init));
  const letters = (await res.json()) as DeadLetter[];
  if (opts.json) {
    ctx.out(`${JSON.stringify(letters, null, 2)}\n`);
    return EXIT.ok;
  }
  if (letters.length === 0) {
    ctx.out('No dead letters.\n');
    return EXIT.ok;
  }
  const rows = letters.map((d) => [
    d.id,
    d.type,
    d.eventId,
    d.errorCode === null ? '-' : String(d.errorCode),
    d.replayedAt ? `replayed ${d.replayedAt}` : d.receivedAt,
    oneLine(d.errorData),
  ]);
  const header = ['ID', 'TYPE', 'EVENT ID', 'CODE', 'WHEN', 'REASON'];
  ctx.out(`${table([header, ...rows], ctx.styles.bold)}\n`);
  return EXIT.ok;
}

/** Replays one dead letter through the broker it came from. */
export async function replayDeadLetterCommand(id: string, ctx: CommandContext): Promise<number> {
  const url = `${deadLettersUrl(ctx.settings)}/${encodeURIComponent(id)}/replay`;
  const init = { method: 'POST', signal: AbortSignal.timeout(TIMEOUT_MS) };
  const res = await expectOk(await send('the broker', url, init));
  const body = (await res.json()) as { id: string; replayedAt?: string };
  ctx.out(`replayed dead letter ${body.id}${body.replayedAt ? ` at ${body.replayedAt}` : ''}\n`);
  return EXIT.ok;
}

function oneLine(text: string | null): string {
  if (!text) return '';
  // The receiver's problem detail is the useful part of its answer, when it sent one.
  let detail = text;
  try {
    const parsed = JSON.parse(text) as { detail?: unknown };
    if (typeof parsed.detail === 'string') detail = parsed.detail;
  } catch {
    // Plain text (or cut short by the 1024-character limit): show it as it is.
  }
  const flat = detail.replace(/\s+/g, ' ').trim();
  return flat.length > 100 ? `${flat.slice(0, 99)}…` : flat;
}
