/**
 * The error hierarchy every function maps at its one boundary. Each class says who is at
 * fault (client, configuration, system, model) and carries the HTTP status and a stable
 * snake_case `reason` that runs, problems and dead letters record.
 */

/** Base class: sets `name` from the subclass and keeps status, reason and context. */
export class DdoError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly details: Record<string, unknown>;

  constructor(
    message: string,
    opts: { status?: number; reason?: string; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.status = opts.status ?? 500;
    this.reason = opts.reason ?? 'internal';
    this.details = opts.details ?? {};
  }

  /** Whether the caller should retry the same request later (Knative retries 5xx, 404, 409, 429). */
  get isRetryable(): boolean {
    return this.status >= 500 || this.status === 429 || this.status === 409;
  }
}

/** The client sent something malformed; `field` names the offending part, as a JSON pointer. */
export class BadRequestError extends DdoError {
  constructor(message: string, field?: string, details: Record<string, unknown> = {}) {
    super(message, { status: 400, reason: 'bad_request', details: { ...details, field } });
  }
}

export class UnauthorizedError extends DdoError {
  constructor(message = 'Send an Authorization: Bearer <key> header with a valid API key.') {
    super(message, { status: 401, reason: 'unauthorized' });
  }
}

export class NotFoundError extends DdoError {
  constructor(message: string) {
    super(message, { status: 404, reason: 'not_found' });
  }
}

export class MethodNotAllowedError extends DdoError {
  readonly allow: string[];
  constructor(method: string, allow: string[]) {
    super(`${method} is not allowed here; use ${allow.join(' or ')}.`, {
      status: 405,
      reason: 'method_not_allowed',
    });
    this.allow = allow;
  }
}

export class PayloadTooLargeError extends DdoError {
  constructor(limitBytes: number) {
    super(`The request body is larger than the ${limitBytes}-byte limit.`, {
      status: 413,
      reason: 'payload_too_large',
      details: { limitBytes },
    });
  }
}

export class UnsupportedMediaTypeError extends DdoError {
  constructor(got: string | undefined, want: string) {
    super(`Send the body as ${want}${got ? `, not ${got}` : ''}.`, {
      status: 415,
      reason: 'unsupported_media_type',
    });
  }
}

export class RateLimitedError extends DdoError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message, { status: 429, reason: 'rate_limited', details: { retryAfterSeconds } });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A compare-and-set lost its race; the caller re-reads and tries again. */
export class ConflictError extends DdoError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, { status: 409, reason: 'conflict', details });
  }
}

/** Something the platform depends on is briefly unavailable; retrying later should work. */
export class TransientError extends DdoError {
  constructor(message: string, cause?: unknown) {
    super(message, { status: 503, reason: 'unavailable', cause });
  }
}

/** Settings or definition files are wrong; fatal at start-up. */
export class ConfigError extends DdoError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, { status: 500, reason: 'config', details });
  }
}

/** The model answered with something unusable (bad tool arguments, an invalid plan). */
export class ModelBehaviorError extends DdoError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, { status: 422, reason: 'model_behavior', details });
  }
}

/** A run hit one of its bounds (iterations, steps, wall-clock time). */
export class LimitExceededError extends DdoError {
  constructor(reason: 'max_iterations' | 'max_steps' | 'timeout', message: string) {
    super(message, { status: 422, reason });
  }
}

/** Wraps anything thrown into a DdoError, keeping the original as `cause`. */
export function asDdoError(err: unknown): DdoError {
  if (err instanceof DdoError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new DdoError(message, { cause: err });
}
