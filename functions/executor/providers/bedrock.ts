/**
 * The `bedrock` provider: the Converse API with `toolConfig` through
 * `@aws-sdk/client-bedrock-runtime`. Credentials and region come from the standard AWS chain;
 * AWS_ENDPOINT_URL_BEDROCK_RUNTIME and AWS_BEARER_TOKEN_BEDROCK are honoured as the SDK does.
 * Requests go through a NodeHttpHandler (HTTP/1.1; the SDK's default HTTP/2 handler cannot talk
 * to HTTP/1.1 proxies and fakes) wrapped by the egress guard. The SDK is loaded on first use.
 */
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { ModelProvider, ModelReply, ModelRequest } from '../../../shared/model/types';
import { guardSmithyHandler, withEgressScope } from '../egress';
import { fromConverseOutput, toConverseInput, type ConverseOutput } from './bedrock-format';
import { samplingOptions } from './chat-format';
import { envValue, stringOption, type ModelTarget, type ProviderContext } from './context';
import {
  commonFailure,
  describeStatus,
  isConnectionError,
  kindOfStatus,
  ModelCallError,
  parseRetryAfter,
  scrub,
  type FailureKind,
} from './failure';

const CREDENTIALS_HINT =
  'the AWS credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, or ' +
  'AWS_BEARER_TOKEN_BEDROCK) and model access';

type BedrockSdk = typeof import('@aws-sdk/client-bedrock-runtime');

// Bedrock error names whose meaning the HTTP status alone does not carry.
const KIND_BY_ERROR_NAME: Record<string, FailureKind> = {
  ThrottlingException: 'rate_limited',
  ModelNotReadyException: 'rate_limited',
  ServiceUnavailableException: 'server',
  InternalServerException: 'server',
  ModelErrorException: 'server',
  ModelTimeoutException: 'timeout',
  AccessDeniedException: 'auth',
  UnrecognizedClientException: 'auth',
  ExpiredTokenException: 'auth',
  InvalidSignatureException: 'auth',
};

interface Connection {
  region?: string;
  endpoint?: string;
  bearerToken?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** The bedrock provider. */
export class BedrockProvider implements ModelProvider {
  readonly name = 'bedrock';
  private readonly clients = new Map<string, BedrockRuntimeClient>();

  constructor(private readonly ctx: ProviderContext) {}

  async complete(request: ModelRequest, signal: AbortSignal): Promise<ModelReply> {
    const target = { provider: this.name, model: request.model };
    const connection = this.connectionFor(request.options);
    try {
      const client = this.clientFor(connection);
      const { ConverseCommand } = require('@aws-sdk/client-bedrock-runtime') as BedrockSdk;
      // toolResult.status is only accepted by some model families.
      const input = toConverseInput(request.messages, request.tools, /anthropic|nova/i.test(request.model));
      const sampling = samplingOptions(request.options);
      const inferenceConfig = Object.fromEntries(Object.entries(sampling).filter(([, v]) => v !== undefined));
      const command = new ConverseCommand({
        modelId: request.model,
        ...input,
        ...(Object.keys(inferenceConfig).length > 0 ? { inferenceConfig } : {}),
      } as unknown as ConstructorParameters<typeof ConverseCommand>[0]);
      const response = await withEgressScope(() => client.send(command, { abortSignal: signal }));
      return fromConverseOutput(this.name, request.model, response as unknown as ConverseOutput);
    } catch (err) {
      throw this.failure(target, connection, err);
    }
  }

  /** Region, endpoint and credentials: agent options first, then the standard AWS variables. */
  private connectionFor(options: Record<string, unknown> | undefined): Connection {
    const env = this.ctx.env;
    const accessKeyId = envValue(env, 'AWS_ACCESS_KEY_ID');
    const secretAccessKey = envValue(env, 'AWS_SECRET_ACCESS_KEY');
    const sessionToken = envValue(env, 'AWS_SESSION_TOKEN');
    const endpoint = envValue(env, 'AWS_ENDPOINT_URL_BEDROCK_RUNTIME') ?? envValue(env, 'AWS_ENDPOINT_URL');
    const region = envValue(env, 'AWS_REGION') ?? envValue(env, 'AWS_DEFAULT_REGION');
    return {
      region: stringOption(options, 'region') ?? region,
      endpoint: stringOption(options, 'endpoint') ?? endpoint,
      bearerToken: envValue(env, 'AWS_BEARER_TOKEN_BEDROCK'),
      // Without keys here the SDK's default chain runs (profiles, SSO, web identity, ECS, IMDS).
      credentials:
        accessKeyId && secretAccessKey
          ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) }
          : undefined,
    };
  }

  private clientFor(connection: Connection): BedrockRuntimeClient {
    const key = JSON.stringify(connection);
    const cached = this.clients.get(key);
    if (cached) return cached;
    const sdk = require('@aws-sdk/client-bedrock-runtime') as BedrockSdk;
    type HandlerModule = typeof import('@smithy/node-http-handler');
    const { NodeHttpHandler } = require('@smithy/node-http-handler') as HandlerModule;
    const bearer = connection.bearerToken;
    const client = new sdk.BedrockRuntimeClient({
      ...(connection.region ? { region: connection.region } : {}),
      ...(connection.endpoint ? { endpoint: connection.endpoint } : {}),
      ...(connection.credentials ? { credentials: connection.credentials } : {}),
      // What the SDK does when AWS_BEARER_TOKEN_BEDROCK is set: bearer auth, preferred to SigV4.
      ...(bearer ? { token: { token: bearer }, authSchemePreference: ['httpBearerAuth'] } : {}),
      maxAttempts: 1,
      requestHandler: guardSmithyHandler(this.ctx.policy, new NodeHttpHandler()) as never,
    });
    this.clients.set(key, client);
    return client;
  }

  private failure(target: ModelTarget, connection: Connection, err: unknown): ModelCallError {
    const common = commonFailure(target, err);
    if (common) return common;
    const e = err as {
      name?: string;
      message?: string;
      $metadata?: { httpStatusCode?: number };
      $response?: { headers?: Record<string, string> };
    };
    const { credentials } = connection;
    const secrets = [
      connection.bearerToken,
      credentials?.secretAccessKey,
      credentials?.sessionToken,
      credentials?.accessKeyId,
    ];
    const detail = scrub(String(e.message ?? ''), secrets);
    const status = e.$metadata?.httpStatusCode;
    if (typeof status === 'number' && status >= 400) {
      const kind = KIND_BY_ERROR_NAME[e.name ?? ''] ?? kindOfStatus(status);
      const headers = e.$response?.headers ?? {};
      const said = `${describeStatus(kind, status, CREDENTIALS_HINT)}: ${e.name ?? 'Error'}: ${detail}`;
      return new ModelCallError(target, kind, said, {
        httpStatus: status,
        retryAfterMs: parseRetryAfter(headers['retry-after']),
      });
    }
    const isCredentials = /credential/i.test(String(e.message)) && !isConnectionError(err);
    if (e.name === 'CredentialsProviderError' || isCredentials) {
      const said = `no usable AWS credentials (${detail}); check ${CREDENTIALS_HINT}`;
      return new ModelCallError(target, 'config', said);
    }
    if (/region is missing/i.test(String(e.message))) {
      return new ModelCallError(target, 'config', 'no AWS region: set AWS_REGION or model.options.region');
    }
    if (isConnectionError(err)) {
      const where = connection.endpoint ?? 'Bedrock';
      return new ModelCallError(target, 'connection', `could not connect to ${where}: ${detail}`);
    }
    return new ModelCallError(target, 'bad_request', `unexpected failure: ${detail}`);
  }
}
