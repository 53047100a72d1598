/**
 * The built-in hooks: a span per call with the OpenTelemetry GenAI attributes, the call
 * metrics, and one debug log line per call (with its content only when DDO_LOG_CONTENT=true).
 */
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { ddoTracer } from '../../../shared/telemetry/tracing';
import { shouldLogContent, type Logger } from '../../../shared/log';
import { ATTR } from '../../../shared/telemetry/attributes';
import { record } from '../../../shared/telemetry/metrics';
import type { CallHooks, CallInfo } from './types';

/** The `gen_ai.provider.name` values of the semantic conventions for DDO's provider names. */
const GENAI_PROVIDER: Record<string, string> = { openai: 'openai', bedrock: 'aws.bedrock', watsonx: 'ibm.watsonx.ai', offline: 'ddo.offline' };

const genaiProvider = (name: string | undefined) => (name ? GENAI_PROVIDER[name] ?? name : 'unknown');

/** Spans for tool and model calls, children of the active (event-handling) span. */
export function tracingHooks(): CallHooks {
  const spans = new WeakMap<CallInfo, Span>();
  return {
    name: 'tracing',
    before(call) {
      const base = { [ATTR.runId]: call.runId, [ATTR.agentId]: call.agentId, [ATTR.tenant]: call.tenant, [ATTR.iteration]: call.iteration };
      const span =
        call.kind === 'tool'
          ? ddoTracer.startSpan(`execute_tool ${call.tool}`, {
              attributes: { ...base, 'gen_ai.operation.name': 'execute_tool', [ATTR.toolName]: call.tool ?? '', [ATTR.stepId]: call.stepId ?? '' },
            })
          : ddoTracer.startSpan(`chat ${call.model}`, {
              attributes: {
                ...base,
                'gen_ai.operation.name': 'chat',
                'gen_ai.provider.name': genaiProvider(call.provider),
                'gen_ai.system': genaiProvider(call.provider),
                'gen_ai.request.model': call.model ?? '',
                [ATTR.phase]: call.purpose ?? '',
              },
            });
      spans.set(call, span);
    },
    after(call, result) {
      const span = spans.get(call);
      if (!span) return;
      span.setAttribute(ATTR.outcome, 'ok');
      if (call.kind === 'model') {
        span.setAttributes({
          'gen_ai.response.model': result.model ?? '',
          'gen_ai.provider.name': genaiProvider(result.provider),
          'gen_ai.usage.input_tokens': result.usage?.inputTokens ?? 0,
          'gen_ai.usage.output_tokens': result.usage?.outputTokens ?? 0,
          'gen_ai.response.finish_reasons': [result.finishReason ?? 'stop'],
        });
      }
      span.end();
    },
    onError(call, failure) {
      const span = spans.get(call);
      if (!span) return;
      span.setAttributes({ [ATTR.outcome]: 'error', 'error.type': failure.reason });
      span.setStatus({ code: SpanStatusCode.ERROR, message: failure.reason });
      span.end();
    },
  };
}

/** Call counts, latency and tokens. */
export function metricsHooks(): CallHooks {
  return {
    name: 'metrics',
    after(call, result) {
      record((m) => {
        if (call.kind === 'tool') {
          const attrs = { [ATTR.toolName]: call.tool ?? '', [ATTR.outcome]: 'ok' };
          m.toolCalls.add(1, attrs);
          m.toolDuration.record(result.durationMs / 1_000, attrs);
          return;
        }
        const attrs = { 'gen_ai.provider.name': genaiProvider(result.provider), 'gen_ai.request.model': result.model ?? '' };
        m.modelCalls.add(1, { ...attrs, [ATTR.outcome]: 'ok' });
        m.modelDuration.record(result.durationMs / 1_000, attrs);
        m.modelTokens.add(result.usage?.inputTokens ?? 0, { ...attrs, 'gen_ai.token.type': 'input' });
        m.modelTokens.add(result.usage?.outputTokens ?? 0, { ...attrs, 'gen_ai.token.type': 'output' });
      });
    },
    onError(call, failure) {
      record((m) => {
        if (call.kind === 'tool') m.toolCalls.add(1, { [ATTR.toolName]: call.tool ?? '', [ATTR.outcome]: 'error', 'error.type': failure.reason });
        else m.modelCalls.add(1, { 'gen_ai.provider.name': genaiProvider(call.provider), [ATTR.outcome]: 'error', 'error.type': failure.reason });
      });
    },
  };
}

/** One debug line per call; arguments, prompts and outputs only when DDO_LOG_CONTENT=true. */
export function loggingHooks(log: Logger, env: NodeJS.ProcessEnv = process.env): CallHooks {
  const withContent = shouldLogContent(env);
  return {
    name: 'logging',
    before(call, input) {
      if (withContent) log.debug({ call, input }, 'call starting');
    },
    after(call, result) {
      const { output, ...summary } = result;
      log.debug({ call, result: withContent ? result : summary }, 'call finished');
    },
    onError(call, failure) {
      log.debug({ call, reason: failure.reason, durationMs: failure.durationMs }, 'call failed');
    },
  };
}
