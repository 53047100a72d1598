/** Settings of the api-gateway, declared once. */
import { parse, type SettingsSpec } from '../../shared/config';
import { orchestratorSetting } from '../../shared/settings';

export const gatewaySettings = {
  ...orchestratorSetting,
  apiKeys: {
    env: 'DDO_API_KEYS',
    parse: parse.string,
    doc: 'API keys as tenant:key pairs separated by commas (npm start makes one if unset).',
  },
  requestsPerMinute: {
    env: 'DDO_RATE_LIMIT_PER_MINUTE',
    default: 600,
    parse: parse.int(1, 1_000_000),
    doc: 'Requests per minute each API key may make.',
  },
  acceptsIngressTenant: {
    env: 'DDO_ACCEPT_INGRESS_TENANT',
    default: false,
    parse: parse.bool,
    doc: 'Take the tenant from the x-ddo-tenant header the Istio ingress gateway sets from a verified JWT.',
  },
  maxRunsInFlight: {
    env: 'DDO_MAX_RUNS_IN_FLIGHT',
    default: 100,
    parse: parse.int(1, 1_000_000),
    doc: 'Runs each API key may have running at once.',
  },
} satisfies SettingsSpec;

/** The largest request body the gateway reads (enforced by the runtime preload). */
export const MAX_BODY_BYTES = 1_048_576;
export const MAX_WAIT_SECONDS = 60;
