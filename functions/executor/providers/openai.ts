/**
 * The `openai` provider: chat completions with native tool calling through the `openai` SDK,
 * against api.openai.com or any OpenAI-compatible server (Ollama, vLLM, LM Studio) by base URL.
 * The SDK is loaded on the first call; its own retries are off (retry.ts does them) and its
 * fetch is the egress guard's.
 */
import type { OpenAI as OpenAIClient } from 'openai';
import { OPENAI_HOST } from '../../../shared/deploy/egress-hosts';
import { ConfigError } from '../../../shared/errors';
import type { ModelProvider, ModelReply, ModelRequest } from '../../../shared/model/types';
import { guardedFetch, withEgressScope } from '../egress';
import {
  fromWireResponse,
  samplingOptions,
  toWireMessages,
  toWireTools,
  type WireResponse,
} from './chat-format';
import { envValue, stringOption, type ModelTarget, type ProviderContext } from './context';
import {
  commonFailure,
  describeStatus,
  isConnectionError,
  kindOfStatus,
  ModelCallError,
  parseRetryAfter,
  scrub,
} from './failure';

/** Where requests go when neither the agent nor OPENAI_BASE_URL says otherwise. */
export const OPENAI_DEFAULT_BASE_URL = `https://${OPENAI_HOST}/v1`;

const DEFAULT_KEY_ENV = 'OPENAI_API_KEY';
// Local OpenAI-compatible servers ignore the key, but the SDK insists on one.
const NO_KEY = 'no-key-configured';

interface Connection {
  baseURL: string;
  keyEnv: string;
  apiKey?: string;
}

/** The openai provider. */
export class OpenAIProvider implements ModelProvider {
  readonly name = 'openai';
  private readonly clients = new Map<string, OpenAIClient>();

  constructor(private readonly ctx: ProviderContext) {}

  async complete(request: ModelRequest, signal: AbortSignal): Promise<ModelReply> {
    const target = { provider: this.name, model: request.model };
    const connection = this.connectionFor(request.options);
    try {
      const client = this.clientFor(connection);
      const sampling = samplingOptions(request.options);
      const maxCompletionTokens = request.options?.maxCompletionTokens;
      const tools = toWireTools(request.tools);
      const body = {
        model: request.model,
        messages: toWireMessages(request.messages),
        ...(tools.length > 0 ? { tools } : {}),
        ...(sampling.temperature !== undefined ? { temperature: sampling.temperature } : {}),
        ...(sampling.topP !== undefined ? { top_p: sampling.topP } : {}),
        ...(sampling.maxTokens !== undefined ? { max_tokens: sampling.maxTokens } : {}),
        ...(typeof maxCompletionTokens === 'number' ? { max_completion_tokens: maxCompletionTokens } : {}),
      };
      type Body = Parameters<typeof client.chat.completions.create>[0];
      const response = await withEgressScope(() =>
        client.chat.completions.create(body as unknown as Body, { signal }),
      );
      return fromWireResponse(this.name, request.model, response as unknown as WireResponse);
    } catch (err) {
      throw this.failure(target, connection, err);
    }
  }

  /** Base URL and key: the agent's options, then OPENAI_BASE_URL / OPENAI_API_KEY, then defaults. */
  private connectionFor(options: Record<string, unknown> | undefined): Connection {
    const env = this.ctx.env;
    const configured = stringOption(options, 'baseURL') ?? envValue(env, 'OPENAI_BASE_URL');
    const baseURL = (configured ?? OPENAI_DEFAULT_BASE_URL).replace(/\/+$/, '');
    const keyEnv = stringOption(options, 'apiKeyEnv') ?? DEFAULT_KEY_ENV;
    return { baseURL, keyEnv, apiKey: envValue(env, keyEnv) };
  }

  private clientFor(connection: Connection): OpenAIClient {
    const key = `${connection.baseURL} ${connection.keyEnv} ${connection.apiKey ?? ''}`;
    const cached = this.clients.get(key);
    if (cached) return cached;
    if (!connection.apiKey && connection.baseURL === OPENAI_DEFAULT_BASE_URL) {
      throw new ConfigError(
        `Set ${connection.keyEnv} to call OpenAI, or set OPENAI_BASE_URL for a compatible server.`,
      );
    }
    // Loaded here so that functions and cold starts that never call OpenAI do not pay for it.
    const { OpenAI } = require('openai') as typeof import('openai');
    const client = new OpenAI({
      apiKey: connection.apiKey ?? NO_KEY,
      baseURL: connection.baseURL,
      maxRetries: 0,
      fetch: guardedFetch(this.ctx.policy),
      // The SDK's debug logs would print requests; ours are the only logs.
      logLevel: 'off',
    });
    this.clients.set(key, client);
    return client;
  }

  private failure(target: ModelTarget, connection: Connection, err: unknown): ModelCallError {
    const common = commonFailure(target, err);
    if (common) return common;
    const e = err as { status?: unknown; headers?: Headers; error?: { message?: unknown }; message?: string };
    const secrets = [connection.apiKey];
    if (typeof e.status === 'number') {
      const kind = kindOfStatus(e.status);
      const said = typeof e.error?.message === 'string' ? e.error.message : (e.message ?? '');
      const hint = `${connection.keyEnv} and ${connection.baseURL}`;
      const detail = `${describeStatus(kind, e.status, hint)}: ${scrub(said, secrets)}`;
      return new ModelCallError(target, kind, detail, {
        httpStatus: e.status,
        retryAfterMs: parseRetryAfter(e.headers?.get?.('retry-after'), e.headers?.get?.('retry-after-ms')),
      });
    }
    // Already loaded: a client exists whenever the SDK could have thrown.
    const sdk = require('openai') as typeof import('openai');
    if (err instanceof sdk.APIConnectionTimeoutError || err instanceof sdk.APIUserAbortError) {
      return new ModelCallError(target, 'timeout', `no answer from ${connection.baseURL} in time`);
    }
    if (err instanceof sdk.APIConnectionError || isConnectionError(err)) {
      const detail = `could not connect to ${connection.baseURL}: ${scrub(String(e.message), secrets)}`;
      return new ModelCallError(target, 'connection', detail);
    }
    const said = `unexpected failure: ${scrub(String(e.message), secrets)}`;
    return new ModelCallError(target, 'bad_request', said);
  }
}
