/**
 * ddo-executor: runs plan steps (tool calls) and model turns. It is the only function that holds
 * provider credentials and the only one with a path out of the mesh, through the egress gateway,
 * to declared hosts. Registered as the functions-framework HTTP function `executor`.
 */
import * as functions from '@google-cloud/functions-framework';
import { loadAgents } from '../../shared/agents/registry';
import { checkAgentPolicies, loadPolicies } from '../../shared/policy/registry';
import { loadSettings } from '../../shared/config';
import { brokerEmitter } from '../../shared/events/emit';
import { createLogger } from '../../shared/log';
import { httpBoundary } from '../../shared/runtime/boundary';
import { eventBoundary } from '../../shared/runtime/event-boundary';
import { brokerSetting } from '../../shared/settings';
import { egressPolicyFromEnv } from './egress';
import { executorHandlers } from './handlers';
import { createProviderRegistry } from './providers';
import { loadHooks } from './hooks/load';
import { retrySettings } from './settings';
import { createTools } from './tools';

const log = createLogger('ddo-executor');
const settings = loadSettings({
  ...brokerSetting,
  ...retrySettings,
});
const egress = egressPolicyFromEnv();
const agents = loadAgents();
// A bad policy file, or an agent naming a missing policy, stops start-up here.
const policies = loadPolicies();
checkAgentPolicies(agents.values(), policies);
const emitter = brokerEmitter('executor', settings.brokerUrl);
const handlers = executorHandlers({
  agents,
  policies,
  emitter,
  tools: createTools(egress),
  log,
  hooks: loadHooks(log),
  providers: createProviderRegistry({ policy: egress, env: process.env }),
  retry: {
    timeoutMs: settings.modelTimeoutMs,
    maxRetries: settings.modelMaxRetries,
    baseDelayMs: settings.modelRetryBaseMs,
    maxDelayMs: settings.modelRetryMaxDelayMs,
    budgetMs: settings.modelBudgetMs,
  },
});

functions.http('executor', httpBoundary(log, eventBoundary(log, handlers, emitter)));
