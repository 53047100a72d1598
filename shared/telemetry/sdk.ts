/**
 * Starts the OpenTelemetry Node SDK, configured only by the standard OTEL_* variables. It is
 * loaded (about 100 ms of require time) only when OTEL_TRACES_EXPORTER names an exporter, so
 * functions run with tracing off pay nothing. Spans are flushed before the process exits, which
 * is what Knative's SIGTERM on scale-down leads to.
 */
import { PresetIdGenerator } from './ids';

let started = false;

/** The service name: OTEL_SERVICE_NAME, else `ddo-<function folder>` from the framework target. */
export function serviceNameFrom(env: NodeJS.ProcessEnv, argv: string[]): string {
  if (env.OTEL_SERVICE_NAME) return env.OTEL_SERVICE_NAME;
  const target = argv.find((a) => a.startsWith('--target='))?.slice('--target='.length) ?? env.FUNCTION_TARGET ?? 'function';
  return `ddo-${target.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Whether the environment asks for traces to be exported. */
export function isTracingEnabled(env: NodeJS.ProcessEnv): boolean {
  const exporter = env.OTEL_TRACES_EXPORTER?.trim();
  return Boolean(exporter) && exporter !== 'none' && env.OTEL_SDK_DISABLED !== 'true';
}

/** Starts the SDK once if tracing is enabled; a failure to start is reported and tracing stays off. */
export function startTelemetry(env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv): void {
  if (started || !isTracingEnabled(env)) return;
  started = true;
  // The SDK would otherwise export metrics and logs to localhost:4318 by default.
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  // Spans leave within a second, in small batches, from the processor's timer. With the SDK's
  // 5 s, a function ending more than about 100 spans a second fills a 512-span batch first, and
  // that export then runs inside the request that ended the batch's last span.
  env.OTEL_BSP_SCHEDULE_DELAY ??= '1000';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when tracing is on
    const { NodeSDK, core } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when tracing is on
    const { RandomIdGenerator } = require('@opentelemetry/sdk-trace-base') as typeof import(
      '@opentelemetry/sdk-trace-base'
    );
    const sdk = new NodeSDK({
      serviceName: serviceNameFrom(env, argv),
      idGenerator: new PresetIdGenerator(new RandomIdGenerator()),
      // Contexts here come only from traceparent/tracestate (contextFrom) and never carry baggage,
      // so the default baggage propagator would only add work to every hop; OTEL_PROPAGATORS wins.
      textMapPropagator: env.OTEL_PROPAGATORS?.trim() ? undefined : new core.W3CTraceContextPropagator(),
      instrumentations: [],
    });
    sdk.start();
    flushBeforeExit(() => sdk.shutdown());
  } catch (err) {
    process.emitWarning(`OpenTelemetry did not start; tracing is off: ${(err as Error).message}`, 'DdoTelemetryWarning');
  }
}

function flushBeforeExit(shutdown: () => Promise<void>): void {
  const exit = process.exit.bind(process);
  let isExiting = false;
  process.exit = ((code?: number) => {
    if (isExiting) return exit(code);
    isExiting = true;
    const force = setTimeout(() => exit(code), 2_000);
    force.unref();
    shutdown()
      .catch(() => undefined)
      .finally(() => exit(code));
  }) as typeof process.exit;
}
