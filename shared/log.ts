/**
 * Structured JSON logs (pino), quiet by default. Every line carries the service name and, when
 * known, the trace id of the event or request being handled. Credentials are redacted by path;
 * prompt and answer text is never passed to the logger unless DDO_LOG_CONTENT=true.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type Logger } from 'pino';
import { activeIds } from './telemetry/tracing';

export type { Logger };

interface LogContext {
  traceId?: string;
  runId?: string;
}

const context = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with fields that every log line inside it will carry. */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  return context.run({ ...context.getStore(), ...fields }, fn);
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Creates the service's logger; level from DDO_LOG_LEVEL (default `info`, `silent` to mute). */
export function createLogger(service: string, env: NodeJS.ProcessEnv = process.env): Logger {
  const wanted = env.DDO_LOG_LEVEL?.trim().toLowerCase() || 'info';
  const level = LEVELS.includes(wanted) ? wanted : 'info';
  const logger = pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => {
      const ids = activeIds();
      return ids ? { ...context.getStore(), traceId: ids.traceId, spanId: ids.spanId } : { ...context.getStore() };
    },
    redact: {
      paths: ['authorization', 'headers.authorization', '*.apiKey', '*.token', 'key', 'apiKey'],
      censor: '[redacted]',
    },
  });
  if (level !== wanted) logger.warn({ value: env.DDO_LOG_LEVEL, fallback: level, levels: LEVELS }, 'ignoring malformed DDO_LOG_LEVEL');
  return logger;
}

/** Whether prompt and output text may be logged (DDO_LOG_CONTENT=true). */
export function shouldLogContent(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.DDO_LOG_CONTENT === 'true';
}
