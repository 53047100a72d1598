/**
 * The CLI's errors and exit codes. Each error says who is at fault, so a script can tell a run
 * that failed (1) from a mistake in the call or a stack that is not there (2).
 */

/** Exit codes `ddo` promises. */
export const EXIT = {
  ok: 0,
  /** The run failed, or the server refused the request. */
  failed: 1,
  /** Bad arguments, missing configuration, or nothing listening at the URL. */
  usage: 2,
  /** Interrupted with Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;

/** An error the CLI reports as sentences on stderr before exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The user called the CLI wrongly or left something unconfigured. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** Nothing answered at the URL: the stack is not running, or the URL is wrong. */
export class UnreachableError extends CliError {
  constructor(
    readonly what: string,
    readonly url: string,
    cause: string,
  ) {
    super(`cannot reach ${what} at ${url} — is \`npm start\` running? (${cause})`, EXIT.usage);
  }
}

/** The server answered with an RFC 9457 problem (or some other non-2xx status). */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly reason: string,
    detail: string,
  ) {
    // A refused key is a configuration mistake, not a failed operation.
    const exitCode = status === 401 ? EXIT.usage : EXIT.failed;
    super(`${detail} (HTTP ${status}${reason ? `, ${reason}` : ''})`, exitCode);
  }
}

/** The run ended `failed`; the message is its reason and explanation. */
export class RunFailedError extends CliError {
  constructor(
    readonly runId: string,
    readonly reason: string,
    detail: string,
  ) {
    super(`run ${runId} failed: ${reason}: ${detail}`, EXIT.failed);
  }
}
