/**
 * ddo-executor: runs plan steps (tool calls) and model turns. It is the only function that holds
 * provider credentials and the only one with a path out of the mesh, through the egress gateway,
 * to declared hosts. Registered as the functions-framework HTTP function `executor`.
 */
import * as functions from '@google-cloud/functions-framework';
import { loadAgents } from '../../shared/agents/registry';
import { loadSettings, parse } from '../../shared/config';
import { brokerEmitter } from '../../shared/events/emit';
import { createLogger } from '../../shared/log';
import { eventBoundary, httpBoundary } from '../../shared/runtime/boundary';
import { brokerSetting } from '../../shared/settings';
import { egressPolicyFromEnv } from './egress';
import { executorHandlers } from './handlers';
import { createTools } from './tools';

const log = createLogger('ddo-executor');
const settings = loadSettings({
  ...brokerSetting,
  modelTimeoutMs: {
    env: 'DDO_MODEL_TIMEOUT_MS',
    default: 120_000,
    parse: parse.int(100, 3_600_000),
    doc: 'How long one model call may take before it fails.',
  },
});
const handlers = executorHandlers({
  agents: loadAgents(),
  emitter: brokerEmitter('executor', settings.brokerUrl),
  tools: createTools(egressPolicyFromEnv()),
  log,
  modelTimeoutMs: settings.modelTimeoutMs,
});

functions.http('executor', httpBoundary(log, eventBoundary(log, handlers)));
