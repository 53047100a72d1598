/**
 * The `watsonx` provider: `textChat` with tools (`/ml/v1/text/chat`) through
 * `@ibm-cloud/watsonx-ai`. Settings use the SDK's own variable names: WATSONX_AI_URL,
 * WATSONX_AI_AUTH_TYPE (iam, bearertoken, or noauth for local servers), WATSONX_AI_APIKEY,
 * WATSONX_AI_AUTH_URL (the IAM token endpoint), WATSONX_AI_BEARER_TOKEN; plus
 * WATSONX_AI_PROJECT_ID or WATSONX_AI_SPACE_ID. Both the service and the IAM token calls go
 * through axios instances that carry the egress guard; the SDK is loaded on first use.
 */
import type { WatsonXAI } from '@ibm-cloud/watsonx-ai';
import { IBM_IAM_HOST, watsonxHost } from '../../../shared/deploy/egress-hosts';
import { ConfigError } from '../../../shared/errors';
import type { ModelProvider, ModelReply, ModelRequest } from '../../../shared/model/types';
import { checkEgress, guardAxios, withEgressScope, type AxiosLike } from '../egress';
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

/** The SDK's default region endpoint; other regions must be declared in istio/ too. */
export const WATSONX_DEFAULT_SERVICE_URL = `https://${watsonxHost('us-south')}`;
/** IBM Cloud IAM, where API keys are exchanged for tokens; an egress host like the service. */
export const IBM_IAM_DEFAULT_URL = `https://${IBM_IAM_HOST}`;

const CREDENTIALS_HINT = 'WATSONX_AI_APIKEY (IAM) or WATSONX_AI_BEARER_TOKEN';

type Auth =
  | { type: 'iam'; apikey: string; url: string }
  | { type: 'bearertoken'; token: string }
  | { type: 'noauth' };

interface Connection {
  serviceUrl: string;
  projectId?: string;
  spaceId?: string;
  version?: string;
  auth: Auth;
}

/** Marks errors raised while getting a token, so a refused API key reads as an auth failure. */
const FROM_IAM = Symbol('fromIam');

/** The watsonx provider. */
export class WatsonxProvider implements ModelProvider {
  readonly name = 'watsonx';
  private readonly clients = new Map<string, WatsonXAI>();

  constructor(private readonly ctx: ProviderContext) {}

  async complete(request: ModelRequest, signal: AbortSignal): Promise<ModelReply> {
    const target = { provider: this.name, model: request.model };
    let connection: Connection | undefined;
    try {
      connection = this.connectionFor(request.options);
      // Checked here too, so a refusal names the host before any SDK code runs.
      checkEgress(this.ctx.policy, connection.serviceUrl);
      if (connection.auth.type === 'iam') checkEgress(this.ctx.policy, connection.auth.url);
      const client = this.clientFor(connection);
      const sampling = samplingOptions(request.options);
      const tools = toWireTools(request.tools);
      const response = await withEgressScope(() =>
        client.textChat({
          modelId: request.model,
          messages: toWireMessages(request.messages) as never,
          ...(tools.length > 0 ? { tools, toolChoiceOption: 'auto' } : {}),
          ...(connection?.projectId ? { projectId: connection.projectId } : { spaceId: connection?.spaceId }),
          ...(sampling.temperature !== undefined ? { temperature: sampling.temperature } : {}),
          ...(sampling.topP !== undefined ? { topP: sampling.topP } : {}),
          ...(sampling.maxTokens !== undefined ? { maxTokens: sampling.maxTokens } : {}),
          signal,
        }),
      );
      return fromWireResponse(this.name, request.model, response.result as unknown as WireResponse);
    } catch (err) {
      throw this.failure(target, connection, err);
    }
  }

  /** Service URL, project or space, and credentials: agent options first, then WATSONX_AI_*. */
  private connectionFor(options: Record<string, unknown> | undefined): Connection {
    const env = this.ctx.env;
    const projectId = stringOption(options, 'projectId') ?? envValue(env, 'WATSONX_AI_PROJECT_ID');
    const spaceId = stringOption(options, 'spaceId') ?? envValue(env, 'WATSONX_AI_SPACE_ID');
    if (!projectId && !spaceId) {
      throw new ConfigError(
        'Set WATSONX_AI_PROJECT_ID or WATSONX_AI_SPACE_ID (or model.options.projectId or spaceId).',
      );
    }
    const apikey = envValue(env, 'WATSONX_AI_APIKEY');
    const token = envValue(env, 'WATSONX_AI_BEARER_TOKEN');
    // As the SDK does: an API key means IAM unless WATSONX_AI_AUTH_TYPE says otherwise.
    const inferred = apikey ? 'iam' : token ? 'bearertoken' : '';
    const type = (envValue(env, 'WATSONX_AI_AUTH_TYPE') ?? inferred).toLowerCase();
    let auth: Auth;
    if (type === 'iam' && apikey) {
      auth = { type, apikey, url: envValue(env, 'WATSONX_AI_AUTH_URL') ?? IBM_IAM_DEFAULT_URL };
    } else if (type === 'bearertoken' && token) {
      auth = { type, token };
    } else if (type === 'noauth') {
      auth = { type };
    } else {
      throw new ConfigError(
        `Set ${CREDENTIALS_HINT} to call watsonx (WATSONX_AI_AUTH_TYPE may be iam, bearertoken or noauth).`,
      );
    }
    const serviceUrl = stringOption(options, 'serviceUrl') ?? envValue(env, 'WATSONX_AI_URL');
    return {
      serviceUrl: (serviceUrl ?? WATSONX_DEFAULT_SERVICE_URL).replace(/\/+$/, ''),
      projectId,
      spaceId,
      version: stringOption(options, 'version'),
      auth,
    };
  }

  private clientFor(connection: Connection): WatsonXAI {
    const key = JSON.stringify(connection);
    const cached = this.clients.get(key);
    if (cached) return cached;
    const sdk = require('@ibm-cloud/watsonx-ai') as typeof import('@ibm-cloud/watsonx-ai');
    type Authentication = typeof import('@ibm-cloud/watsonx-ai/authentication');
    const authn = require('@ibm-cloud/watsonx-ai/authentication') as Authentication;
    const { auth } = connection;
    const authenticator =
      auth.type === 'iam'
        ? new authn.IamAuthenticator({ apikey: auth.apikey, url: auth.url })
        : auth.type === 'bearertoken'
          ? new authn.BearerTokenAuthenticator({ bearerToken: auth.token })
          : new authn.NoAuthAuthenticator();
    // The token manager is not public API, but its HTTP client is the one that calls IAM.
    type WithTokenClient = { tokenManager?: { requestWrapperInstance?: { getHttpClient(): AxiosLike } } };
    const { tokenManager } = authenticator as unknown as WithTokenClient;
    const tokenClient = tokenManager?.requestWrapperInstance?.getHttpClient();
    if (tokenClient) guardAxios(this.ctx.policy, tokenClient);
    const authenticate = authenticator.authenticate.bind(authenticator);
    authenticator.authenticate = (options) =>
      authenticate(options).catch((err: unknown) => {
        if (err && typeof err === 'object') (err as Record<symbol, boolean>)[FROM_IAM] = true;
        throw err;
      });

    const client = sdk.WatsonXAI.newInstance({
      serviceUrl: connection.serviceUrl,
      authenticator,
      ...(connection.version ? { version: connection.version } : {}),
      ...(connection.projectId ? { projectId: connection.projectId } : { spaceId: connection.spaceId }),
    });
    // WATSONX_AI_ENABLE_RETRIES would switch the SDK's retries on; ours are the only ones.
    client.disableRetries();
    guardAxios(this.ctx.policy, client.getHttpClient() as unknown as AxiosLike);
    this.clients.set(key, client);
    return client;
  }

  private failure(target: ModelTarget, connection: Connection | undefined, err: unknown): ModelCallError {
    const common = commonFailure(target, err);
    if (common) return common;
    const auth = connection?.auth;
    const secret = auth?.type === 'iam' ? auth.apikey : auth?.type === 'bearertoken' ? auth.token : undefined;
    const secrets = [secret];
    type SdkError = {
      status?: unknown;
      message?: string;
      headers?: Record<string, string>;
      [FROM_IAM]?: boolean;
    };
    const e = err as SdkError;
    const detail = scrub(String(e.message ?? ''), secrets);
    if (typeof e.status === 'number') {
      // IAM answers 400 to an unknown API key; retrying cannot fix either, so both are auth.
      const kind = e[FROM_IAM] && e.status >= 400 && e.status < 500 ? 'auth' : kindOfStatus(e.status);
      const where = e[FROM_IAM] ? ' at the IAM token endpoint' : '';
      const said = `${describeStatus(kind, e.status, CREDENTIALS_HINT)}${where}: ${detail}`;
      return new ModelCallError(target, kind, said, {
        httpStatus: e.status,
        retryAfterMs: parseRetryAfter(e.headers?.['retry-after']),
      });
    }
    if (isConnectionError(err)) {
      const where = connection?.serviceUrl ?? 'watsonx';
      return new ModelCallError(target, 'connection', `could not connect to ${where}: ${detail}`);
    }
    return new ModelCallError(target, 'bad_request', `unexpected failure: ${detail}`);
  }
}
