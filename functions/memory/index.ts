/**
 * ddo-memory: per-agent memory (conversation history, facts, run state and run event logs)
 * behind one HTTP API. Registered as the functions-framework HTTP function `memory`.
 */
import * as functions from '@google-cloud/functions-framework';
import { loadSettings } from '../../shared/config';
import { createLogger } from '../../shared/log';
import { httpBoundary } from '../../shared/runtime/boundary';
import { memoryHandler, memoryRouter } from './api';
import { memorySettings } from './settings';
import { createStore, reportStoreAtStartup } from './store/create';

const log = createLogger('ddo-memory');
const settings = loadSettings(memorySettings, process.env, (msg, fields) => log.warn(fields, msg));
const store = createStore(settings, log);
reportStoreAtStartup(store, log);

functions.http('memory', httpBoundary(log, memoryHandler(memoryRouter(store))));
