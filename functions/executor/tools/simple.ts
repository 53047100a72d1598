/** The built-in tools that need nothing but their arguments: clock, text_stats and remember. */
import { BadRequestError } from '../../../shared/errors';

/** The current time in an IANA zone, as ISO-like local text plus the offset. */
export function clock(args: { timeZone: string }, now: Date = new Date()): Record<string, string> {
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone: args.timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
  } catch {
    throw new BadRequestError(`${JSON.stringify(args.timeZone)} is not an IANA time zone (try Europe/Paris).`, 'timeZone');
  }
  const parts = Object.fromEntries(formatter.formatToParts(now).map((p) => [p.type, p.value]));
  // Zone names are matched case-insensitively; report the canonical spelling of what was asked
  // (ICU may resolve a zone to an older alias, such as Asia/Kolkata to Asia/Calcutta).
  const resolved = formatter.resolvedOptions().timeZone;
  const timeZone = resolved.toLowerCase() === args.timeZone.toLowerCase() ? resolved : args.timeZone;
  const offset = String(parts.timeZoneName ?? 'GMT').replace('GMT', '') || '+00:00';
  return {
    timeZone,
    localTime: `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`,
    utc: now.toISOString(),
  };
}

/** Word and character counts; words are runs of non-space characters. */
export function textStats(args: { text: string }): Record<string, number> {
  const words = args.text.trim() === '' ? 0 : args.text.trim().split(/\s+/u).length;
  return { words, characters: [...args.text].length, charactersWithoutSpaces: [...args.text.replace(/\s/gu, '')].length };
}

/** Hands the fact back so the orchestrator writes it to memory (the executor has no memory access). */
export function remember(args: { fact: string }): { remembered: string } {
  return { remembered: args.fact.trim() };
}
