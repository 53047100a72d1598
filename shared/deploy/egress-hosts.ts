/**
 * The external hosts DDO's code can reach, declared once. Provider modules take their default
 * endpoints from here; istio/egress-service-entries.yaml declares exactly these hosts as
 * ServiceEntries (the deployment check compares the two sets), and the executor's egress guard
 * reads those ServiceEntries, so code, mesh and guard agree on one list.
 */

/** OpenAI's API (and the default base URL's host). */
export const OPENAI_HOST = 'api.openai.com';

/** AWS regions whose Bedrock runtime endpoint is declared. */
export const BEDROCK_REGIONS = ['us-east-1', 'us-west-2', 'eu-central-1'] as const;

/** IBM Cloud regions whose watsonx.ai endpoint is declared. */
export const WATSONX_REGIONS = ['us-south', 'eu-de'] as const;

/** IBM Cloud IAM, where watsonx API keys are exchanged for bearer tokens. */
export const IBM_IAM_HOST = 'iam.cloud.ibm.com';

/** The Bedrock runtime host of a region, e.g. bedrock-runtime.us-east-1.amazonaws.com. */
export function bedrockRuntimeHost(region: string): string {
  return `bedrock-runtime.${region}.amazonaws.com`;
}

/** The watsonx.ai host of a region, e.g. us-south.ml.cloud.ibm.com. */
export function watsonxHost(region: string): string {
  return `${region}.ml.cloud.ibm.com`;
}

/** Hosts each model provider calls, by provider name. */
export const PROVIDER_HOSTS: Readonly<Record<'openai' | 'bedrock' | 'watsonx', readonly string[]>> = {
  openai: [OPENAI_HOST],
  bedrock: BEDROCK_REGIONS.map(bedrockRuntimeHost),
  watsonx: [...WATSONX_REGIONS.map(watsonxHost), IBM_IAM_HOST],
};

/** Hosts built-in tools call (http_get may reach only declared hosts); none are declared yet. */
export const TOOL_HOSTS: readonly string[] = [];

/** Every external host DDO's code can reach, sorted: what the ServiceEntries must declare. */
export const EGRESS_HOSTS: readonly string[] = [
  ...new Set([...Object.values(PROVIDER_HOSTS).flat(), ...TOOL_HOSTS]),
].sort();

/** The environment variable that tells the executor it runs behind the TLS-originating egress gateway. */
export const TLS_ORIGINATION_ENV = 'DDO_EGRESS_TLS_ORIGINATION';

/**
 * The URL to call for `url` from inside the mesh. With DDO_EGRESS_TLS_ORIGINATION=true, an
 * https URL to a declared host becomes plain http on port 80: the sidecar hands it to the egress
 * gateway over mutual TLS, and the gateway opens the TLS connection to the provider and verifies
 * its certificate. A call that kept https would bypass the gateway and be dropped by the
 * namespace's NetworkPolicy. Everything else is returned unchanged.
 */
export function meshEgressUrl(url: string | URL, env: NodeJS.ProcessEnv = process.env): URL {
  const u = new URL(url);
  const isDeclared = EGRESS_HOSTS.includes(u.hostname.toLowerCase());
  if (env[TLS_ORIGINATION_ENV] !== 'true' || u.protocol !== 'https:' || !isDeclared) return u;
  if (u.port !== '' && u.port !== '443') return u;

  const rewritten = new URL(u.toString());
  rewritten.protocol = 'http:';
  rewritten.port = '';
  return rewritten;
}
