/**
 * ddo-api-gateway: the public entry. Authenticates, rate-limits and validates requests, starts
 * runs at the orchestrator and serves their status and event streams. Registered as the
 * functions-framework HTTP function `apiGateway`.
 */
import * as functions from '@google-cloud/functions-framework';
import { loadAgents } from '../../shared/agents/registry';
import { loadSettings } from '../../shared/config';
import { createLogger } from '../../shared/log';
import { httpBoundary } from '../../shared/runtime/boundary';
import { parseApiKeys } from './auth';
import { orchestratorClient } from './orchestrator-client';
import { RateLimiter } from './rate-limit';
import { gatewayHandler, gatewayRouter } from './routes';
import { gatewaySettings } from './settings';

const log = createLogger('ddo-api-gateway');
const settings = loadSettings(gatewaySettings);
const router = gatewayRouter({
  keys: parseApiKeys(settings.apiKeys),
  agents: loadAgents(),
  orchestrator: orchestratorClient(settings.orchestratorUrl),
  limiter: new RateLimiter(settings.requestsPerMinute, settings.maxRunsInFlight),
  acceptsIngressTenant: settings.acceptsIngressTenant,
});

functions.http('apiGateway', httpBoundary(log, gatewayHandler(router)));
