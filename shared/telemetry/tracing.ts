/**
 * Tracing through the OpenTelemetry API. The SDK is started by the runtime preload only when
 * OTEL_TRACES_EXPORTER names an exporter, so a function with tracing off never loads it; with
 * it off, every call here is a cheap no-op. Telemetry must never break a request: every helper
 * swallows its own failures.
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';
import { withPresetSpanId } from './ids';

export { SpanKind };
export type { Attributes, Context, Span };

// Taken once: the preload registers the SDK before any function module loads, so this is the
// SDK's tracer (through the API's proxy), and a no-op one when tracing is off.
export const ddoTracer = trace.getTracer('ddo');

/** The W3C trace context carried by a CloudEvent (distributed-tracing extension) or headers. */
export interface TraceHeaders {
  traceparent?: string;
  tracestate?: string;
}

/** The context a `traceparent`/`tracestate` pair describes (the root context if absent). */
export function contextFrom(headers: TraceHeaders): Context {
  if (!headers.traceparent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, headers);
}

/** The trace headers of `ctx` (the active context by default); empty when tracing is off. */
export function traceHeaders(ctx: Context = context.active()): TraceHeaders {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** A context whose parent span is the given (possibly not yet recorded) span. */
export function contextWithParent(traceId: string, spanId: string): Context {
  return trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true });
}

/** Runs `fn` in a new active span; records an exception and error status if it throws. */
export async function inSpan<T>(
  name: string,
  opts: { kind?: SpanKind; attributes?: Attributes; parent?: Context; links?: Link[] },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = opts.parent ?? context.active();
  return ddoTracer.startActiveSpan(name, { kind: opts.kind, attributes: opts.attributes, links: opts.links }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Records a finished span after the fact, with a preset id so others could name it as parent. */
export function recordSpan(
  name: string,
  opts: { spanId: string; parent: Context; startTime: number; endTime: number; attributes?: Attributes; isError?: boolean },
): void {
  try {
    const span = withPresetSpanId(opts.spanId, () =>
      ddoTracer.startSpan(name, { startTime: opts.startTime, attributes: opts.attributes }, opts.parent),
    );
    if (opts.isError) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end(opts.endTime);
  } catch {
    // Telemetry never breaks the run.
  }
}

/** Ids of the active span, for log lines; undefined when there is none. */
export function activeIds(): { traceId: string; spanId: string } | undefined {
  const sc = trace.getActiveSpan()?.spanContext();
  if (!sc || !trace.isSpanContextValid(sc)) return undefined;
  return { traceId: sc.traceId, spanId: sc.spanId };
}
