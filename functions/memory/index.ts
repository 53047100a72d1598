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
import { EmbeddedStore } from './store/embedded';
import type { MemoryStore } from './store/types';

const log = createLogger('ddo-memory');
const settings = loadSettings(memorySettings);

function createStore(): MemoryStore {
  return new EmbeddedStore({ runRetentionSeconds: settings.runRetentionSeconds });
}

const store = createStore();
functions.http('memory', httpBoundary(log, memoryHandler(memoryRouter(store))));
