/**
 * The platform's metrics, through the OpenTelemetry metrics API. Without OTEL_METRICS_EXPORTER
 * the API's no-op meter makes every record free. Instruments are created on first use.
 */
import { metrics, type Attributes, type Counter, type Histogram } from '@opentelemetry/api';

type Instruments = {
  runsStarted: Counter;
  runsFinished: Counter;
  runDuration: Histogram;
  phaseDuration: Histogram;
  modelCalls: Counter;
  modelTokens: Counter;
  modelDuration: Histogram;
  toolCalls: Counter;
  toolDuration: Histogram;
  brokerRetries: Counter;
  deadLetters: Counter;
};

let instruments: Instruments | undefined;

function get(): Instruments {
  if (instruments) return instruments;
  const meter = metrics.getMeter('ddo');
  instruments = {
    runsStarted: meter.createCounter('ddo.runs.started', { description: 'Runs started, by agent.' }),
    runsFinished: meter.createCounter('ddo.runs.finished', { description: 'Runs ended, by agent, status and reason.' }),
    runDuration: meter.createHistogram('ddo.run.duration', { unit: 's', description: 'Wall-clock time of a run.' }),
    phaseDuration: meter.createHistogram('ddo.phase.duration', { unit: 's', description: 'Time spent in one phase.' }),
    modelCalls: meter.createCounter('gen_ai.client.operation.count', { description: 'Model calls, by provider, model and outcome.' }),
    modelTokens: meter.createCounter('gen_ai.client.token.usage', { unit: '{token}', description: 'Tokens, by provider, model and type.' }),
    modelDuration: meter.createHistogram('gen_ai.client.operation.duration', { unit: 's', description: 'Model call latency.' }),
    toolCalls: meter.createCounter('ddo.tool.calls', { description: 'Tool calls, by tool and outcome.' }),
    toolDuration: meter.createHistogram('ddo.tool.duration', { unit: 's', description: 'Tool call latency.' }),
    brokerRetries: meter.createCounter('ddo.broker.retries', { description: 'Delivery retries, by trigger.' }),
    deadLetters: meter.createCounter('ddo.broker.dead_letters', { description: 'Events sent to the dead-letter sink.' }),
  };
  return instruments;
}

/** Records a metric; a failure here is swallowed, since telemetry never breaks the request path. */
export function record(fn: (m: Instruments) => void): void {
  try {
    fn(get());
  } catch {
    // Metrics are best effort.
  }
}

export type { Attributes };
