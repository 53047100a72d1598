/**
 * The functions-framework runs every request inside a `domain`, so that a callback throwing
 * after the handler returned becomes a crash response. Creating the first domain switches on a
 * process-wide async hook that every promise pays for from then on (a tenth of each function's
 * CPU per run, measured by the benchmark's profile). DDO's handlers are async and settle every
 * error in their one boundary (runtime/boundary.ts), so the domain buys nothing here: this
 * gives the framework a domain that runs the request and never arms the hook. Loaded by the
 * preload, before the framework. Limit: a throw from a stray callback is then an uncaught
 * exception, which the framework answers with a 500 and ends the process on (the platform starts
 * another), where a domain would have failed only the request in flight.
 */
import domain from 'node:domain';

type Listener = (err: unknown) => void;

/** Just enough of a Domain for the framework's HTTP wrapper: `on('error')` and `run`. */
class RequestScope {
  private onError: Listener | undefined;

  on(event: string, listener: Listener): this {
    if (event === 'error') this.onError = listener;
    return this;
  }

  run<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      if (!this.onError) throw err;
      this.onError(err);
      return undefined;
    }
  }
}

(domain as { create: () => unknown }).create = () => new RequestScope();
