/**
 * Settings more than one function reads, declared once. Defaults are the local stack's
 * loopback ports; the Knative manifests set the in-cluster URLs.
 */
import { parse, type SettingsSpec } from './config';

export const LOCAL_PORTS = {
  apiGateway: 8080,
  orchestrator: 8081,
  planner: 8082,
  executor: 8083,
  memory: 8084,
  broker: 8090,
} as const;

export const brokerSetting = {
  brokerUrl: {
    env: 'DDO_BROKER_URL',
    default: `http://127.0.0.1:${LOCAL_PORTS.broker}/ddo/default`,
    parse: parse.url,
    doc: 'Broker ingress URL that events are POSTed to (Knative: http://broker-ingress.knative-eventing.svc.cluster.local/<ns>/<broker>).',
  },
} satisfies SettingsSpec;

export const memorySetting = {
  memoryUrl: {
    env: 'DDO_MEMORY_URL',
    default: `http://127.0.0.1:${LOCAL_PORTS.memory}`,
    parse: parse.url,
    doc: 'Base URL of the memory service.',
  },
} satisfies SettingsSpec;

export const orchestratorSetting = {
  orchestratorUrl: {
    env: 'DDO_ORCHESTRATOR_URL',
    default: `http://127.0.0.1:${LOCAL_PORTS.orchestrator}`,
    parse: parse.url,
    doc: 'Base URL of the orchestrator.',
  },
} satisfies SettingsSpec;
