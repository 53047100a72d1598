#!/usr/bin/env node
/**
 * `ddo`, the command line of DDO: start a run and watch it live, list and show runs, send a
 * CloudEvent to the broker, list and replay dead letters, and check the deployment manifests.
 * Exit codes: 0 done, 1 the run failed or the server refused, 2 a usage, configuration or
 * connection problem, 130 interrupted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { checkCommand } from './commands/check';
import { listDeadLettersCommand, replayDeadLetterCommand } from './commands/dead-letters';
import { sendEventCommand } from './commands/events';
import { runCommand } from './commands/run';
import { listRunsCommand, showRunCommand } from './commands/runs';
import { processContext } from './context';
import { CliError, EXIT } from './errors';
import { isColorEnabled, stylesFor } from './format';
import type { ConnectionFlags } from './settings';

const EXAMPLES = `
Examples:
  ddo run "What is (17 * 23) + 4?"
  ddo run --session s1 "Remember that my favourite colour is teal."
  ddo runs show run_0123abcd --follow
  ddo events send --type dev.ddo.run.requested \\
    --data '{"tenant":"local","agentId":"demo","input":"What is 12 * 12?"}'

Settings: --url or DDO_URL (default http://127.0.0.1:8080); --key or DDO_API_KEY, else the key
\`npm start\` keeps in .ddo/local-api-key (used only for a loopback URL); --broker or DDO_BROKER_URL
(default http://127.0.0.1:8090/ddo/default). NO_COLOR turns colour off.`;

/** Builds the program; each action reports its exit code through `setExit`. */
export function buildProgram(signal: AbortSignal, setExit: (code: number) => void): Command {
  const program = new Command('ddo');
  program
    .description('Run DDO agents and watch them think; inspect runs, events and dead letters.')
    .version(packageVersion(), '-V, --version')
    .option('--url <url>', 'the DDO API (env DDO_URL)')
    .option('--key <key>', 'the API key (env DDO_API_KEY)')
    .showHelpAfterError('(add --help for usage)')
    // Options belong to the command they follow, so `runs` and `runs show` can both have --json.
    .enablePositionalOptions()
    .exitOverride()
    .addHelpText('after', EXAMPLES);
  const context = (cmd: Command) => processContext(cmd.optsWithGlobals<ConnectionFlags>(), signal);

  program
    .command('run')
    .description('start a run and show its phases, steps and answer live')
    .argument('<prompt...>', 'what to ask the agent')
    .option('-a, --agent <id>', 'the agent to run', 'demo')
    .option('-s, --session <id>', 'the session whose history and facts the run shares')
    .option('--json', 'print only the final run record, as JSON')
    .option('-q, --quiet', 'print only the answer')
    .addOption(urlOption())
    .addOption(keyOption())
    .action(async (words: string[], opts, cmd: Command) => {
      setExit(await runCommand(words.join(' '), opts, context(cmd)));
    });

  const runs = program
    .command('runs')
    .description('list recent runs (newest first)')
    .option('-n, --limit <n>', 'how many (1-200)', positiveInt, 20)
    .addOption(urlOption())
    .addOption(keyOption())
    .option('--json', 'print JSON')
    .action(async (opts, cmd: Command) => setExit(await listRunsCommand(opts, context(cmd))));
  runs
    .command('show')
    .description('show one run: status, steps with arguments and results, tokens, answer')
    .argument('<runId>')
    .option('-f, --follow', 'stream it live until it ends, also across an approval pause')
    .option('--json', 'print the run record as JSON')
    .addOption(urlOption())
    .addOption(keyOption())
    .action(async (runId: string, opts, cmd: Command) => {
      setExit(await showRunCommand(runId, opts, context(cmd)));
    });

  program
    .command('events')
    .description('send CloudEvents to the broker')
    .command('send')
    .description('post one CloudEvent in HTTP binary mode to the broker ingress')
    .requiredOption('-t, --type <type>', 'the event type, e.g. dev.ddo.run.requested')
    .requiredOption('-d, --data <json>', 'the data as JSON, or @file to read it from a file')
    .option('--source <uri>', 'the event source', '/ddo/cli')
    .option('--id <id>', 'the event id (default: a random UUID); resend an id to test idempotency')
    .option('--ext <name=value>', 'an extension attribute (repeatable)', collect, [])
    .option('--no-validate', "send even if the data fails the catalogue's schema")
    .option('--broker <url>', 'the broker ingress (env DDO_BROKER_URL)')
    .action(async (opts, cmd: Command) => setExit(await sendEventCommand(opts, context(cmd))));

  const deadLetters = program
    .command('dead-letters')
    .description('list the events the local broker could not deliver')
    .option('--json', 'print JSON')
    .option('--broker <url>', 'the broker whose dead letters to list (env DDO_BROKER_URL)')
    .action(async (opts, cmd: Command) => {
      setExit(await listDeadLettersCommand(opts, context(cmd)));
    });
  deadLetters
    .command('replay')
    .description('send a dead letter through its broker again')
    .argument('<id>', 'the dead letter id from `ddo dead-letters`')
    .option('--broker <url>', 'the broker that holds it (env DDO_BROKER_URL)')
    .action(async (id: string, _opts, cmd: Command) => {
      setExit(await replayDeadLetterCommand(id, context(cmd)));
    });

  program
    .command('check')
    .description('run the deployment analyzer (npm run check:deploy) over the manifests')
    .argument('[args...]', 'passed to the analyzer')
    .helpOption(false)
    .allowUnknownOption()
    .action(async (args: string[]) => setExit(await checkCommand(args)));

  return program;
}

/** Runs the CLI on `argv` and resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  const onInterrupt = () => {
    // A second Ctrl-C means now.
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    controller.abort();
  };
  process.on('SIGINT', onInterrupt);
  process.stdout.on('error', onStdoutError);
  let code: number = EXIT.ok;
  const red = stylesFor(isColorEnabled(process.stderr, process.env)).red;
  try {
    await buildProgram(controller.signal, (c) => (code = c)).parseAsync(argv);
    return code;
  } catch (err) {
    // Commander has printed its own message (or the help, or the version) already.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (controller.signal.aborted) return EXIT.interrupted;
    if (err instanceof CliError) {
      process.stderr.write(`${red('error:')} ${err.message}\n`);
      return err.exitCode;
    }
    // Not one of ours: a bug, so the stack helps whoever reports it.
    process.stderr.write(`${red('error:')} unexpected: ${(err as Error)?.stack ?? String(err)}\n`);
    return EXIT.failed;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

function onStdoutError(err: NodeJS.ErrnoException): void {
  // `ddo runs | head` closes the pipe early; that is the reader's choice, not an error.
  if (err.code === 'EPIPE') process.exit(EXIT.ok);
  throw err;
}

// Accepted after the subcommand too (`ddo runs --url …`); the program's own are for `ddo --url …`.
const urlOption = () => new Option('--url <url>', 'the DDO API (env DDO_URL)').hideHelp();
const keyOption = () => new Option('--key <key>', 'the API key (env DDO_API_KEY)').hideHelp();

function positiveInt(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 200) {
    throw new InvalidArgumentError('Use a whole number from 1 to 200.');
  }
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function packageVersion(): string {
  try {
    const file = path.resolve(__dirname, '../../package.json');
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

if (require.main === module) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
