/** Small factories for the governance tests: policies from plain objects, secrets to hunt for. */
import { redactionRules } from '../../shared/policy/redact';
import type { Policy } from '../../shared/policy/registry';
import type { PolicyDefinition } from '../../shared/policy/schema';

/** A policy as the registry would load it. */
export function makePolicy(def: Partial<PolicyDefinition> = {}): Policy {
  const full: PolicyDefinition = { id: 'test', version: 3, ...def };
  return { ...full, rules: redactionRules(full.redact) };
}

/** Values that must never leave the executor unredacted. */
export const SECRETS = {
  apiKey: 'sk-live-9f8e7d6c5b4a39281706',
  email: 'jane.doe@corp.example',
  card: '4111 1111 1111 1111',
  phone: '+44 20 7946 0958',
  bearer: 'Bearer eyJhbGciOiJIUzI1NiJ9.abcdefgh',
} as const;
