/**
 * ddo-orchestrator: owns each run's state machine. CloudEvents from the broker (and the
 * api-gateway's run requests) drive it; the api-gateway reads runs and their logs through its
 * query routes. Registered as the functions-framework HTTP function `orchestrator`.
 */
import * as functions from '@google-cloud/functions-framework';
import { loadAgents } from '../../shared/agents/registry';
import { loadSettings } from '../../shared/config';
import { brokerEmitter } from '../../shared/events/emit';
import { isCloudEventRequest } from '../../shared/events/detect';
import { createLogger } from '../../shared/log';
import { httpBoundary } from '../../shared/runtime/boundary';
import { eventBoundary } from '../../shared/runtime/event-boundary';
import { brokerSetting, memorySetting } from '../../shared/settings';
import { approvalHandlers } from './approvals';
import { RunEngine } from './engine';
import { orchestratorHandlers } from './handlers';
import { memoryClient } from './memory-client';
import { queryRouter } from './queries';
import { StalledRunSweeper, sweeperSettings } from './sweeper';

const log = createLogger('ddo-orchestrator');
const settings = loadSettings({ ...brokerSetting, ...memorySetting, ...sweeperSettings });
const agents = loadAgents();
const memory = memoryClient(settings.memoryUrl);
const emitter = brokerEmitter('orchestrator', settings.brokerUrl);
const engine = new RunEngine(memory, emitter, log);
const sweeper = new StalledRunSweeper(memory, engine, log, settings);
const handlers = { ...orchestratorHandlers(agents, memory, engine), ...sweeper.handlers(), ...approvalHandlers(engine) };
const onEvent = eventBoundary(log, handlers, emitter);
const queries = queryRouter(memory, engine);

functions.http(
  'orchestrator',
  httpBoundary(log, async (req, res) => {
    // Deliveries are POSTs; everything the api-gateway reads is a GET.
    if (req.method === 'POST' || isCloudEventRequest(req.headers)) return onEvent(req, res);
    const { handler, params } = queries.match(req.method, req.path);
    await handler(req, res, params);
  }),
);
