/**
 * ddo-planner: turns goal, context and tool catalogue into a validated plan. It reaches
 * nothing but the broker. Registered as the functions-framework HTTP function `planner`.
 */
import * as functions from '@google-cloud/functions-framework';
import { loadAgents } from '../../shared/agents/registry';
import { loadSettings } from '../../shared/config';
import { brokerEmitter } from '../../shared/events/emit';
import { createLogger } from '../../shared/log';
import { httpBoundary } from '../../shared/runtime/boundary';
import { eventBoundary } from '../../shared/runtime/event-boundary';
import { brokerSetting } from '../../shared/settings';
import { plannerHandlers } from './handlers';

const log = createLogger('ddo-planner');
const settings = loadSettings(brokerSetting);
const emitter = brokerEmitter('planner', settings.brokerUrl);

functions.http('planner', httpBoundary(log, eventBoundary(log, plannerHandlers(loadAgents()), emitter)));
