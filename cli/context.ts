/** What every command gets: resolved settings, output streams with their styles, and Ctrl-C. */
import { isColorEnabled, stylesFor, type Styles } from './format';
import { resolveSettings, type CliSettings, type ConnectionFlags } from './settings';

/** The command's view of the process. */
export interface CommandContext {
  settings: CliSettings;
  /** Writes to stdout. */
  out(text: string): void;
  /** Writes to stderr. */
  err(text: string): void;
  styles: Styles;
  errStyles: Styles;
  /** Whether stdout is a terminal (lines may be rewritten in place). */
  isTty: boolean;
  /** Aborted on Ctrl-C, so a command can stop watching and say what goes on without it. */
  signal: AbortSignal;
}

/** Builds the context for the current process from the command's flags. */
export function processContext(flags: ConnectionFlags, signal: AbortSignal): CommandContext {
  const { env } = process;
  return {
    settings: resolveSettings(flags, env, process.cwd()),
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    styles: stylesFor(isColorEnabled(process.stdout, env)),
    errStyles: stylesFor(isColorEnabled(process.stderr, env)),
    isTty: process.stdout.isTTY === true && env.TERM !== 'dumb',
    signal,
  };
}
