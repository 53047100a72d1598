import fs from 'node:fs';
import path from 'node:path';
import { analyze } from '../../scripts/check-deploy/analyze';
import { declaredFacts, type DeployFacts } from '../../scripts/check-deploy/context';
import { formatViolation } from '../../scripts/check-deploy/violation';
import { principalOf } from '../../shared/deploy/mesh';
import { appendObject, copyRepo, editObject, removeCopy, REPO } from './repo-copy';

const DEAD_LETTERS = { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'ddo-dead-letters' };

function findings(root: string, facts?: DeployFacts): string[] {
  return analyze(root, facts).map(formatViolation);
}

function replaceIn(root: string, file: string, from: string, to: string): void {
  const full = path.join(root, file);
  const text = fs.readFileSync(full, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} does not contain ${from}`);
  fs.writeFileSync(full, text.split(from).join(to));
}

describe('check:deploy on the repository', () => {
  it('finds no violation in any profile', () => {
    expect(findings(REPO)).toEqual([]);
  });
});

/** One mutation of a copy of the repository, and the violation it must cause. */
interface Mutation {
  name: string;
  mutate: (root: string) => void;
  facts?: (facts: DeployFacts) => DeployFacts;
  /** The start of the violation line: `file: Kind/name: `. */
  at: string;
  /** What the rest of the line says: the problem and the fix. */
  says: RegExp;
}

const MUTATIONS: Mutation[] = [
  {
    name: 'PERMISSIVE mTLS',
    mutate: (root) =>
      editObject(root, 'istio/peer-authentication.yaml', 'PeerAuthentication', 'default', (pa) => {
        pa.spec.mtls.mode = 'PERMISSIVE';
      }),
    at: 'istio/peer-authentication.yaml: PeerAuthentication/default',
    says: /mTLS is PERMISSIVE, not STRICT\. Set spec\.mtls\.mode: STRICT/,
  },
  {
    name: 'a missing default deny',
    mutate: (root) =>
      editObject(root, 'istio/authorization.yaml', 'AuthorizationPolicy', 'allow-nothing', () => null),
    at: 'istio/authorization.yaml: AuthorizationPolicy/(none)',
    says: /Namespace ddo has no default deny, .*\. Add an AuthorizationPolicy allow-nothing/,
  },
  {
    name: 'an extra edge api-gateway -> memory',
    mutate: (root) =>
      editObject(root, 'istio/authorization.yaml', 'AuthorizationPolicy', 'orchestrator-to-memory', (p) => {
        p.spec.rules[0].from[0].source.principals.push(principalOf('ddo', 'ddo-api-gateway'));
      }),
    at: 'istio/authorization.yaml: AuthorizationPolicy/orchestrator-to-memory',
    says: /It allows the call api-gateway -> memory, which is not a permitted edge\. Remove that caller/,
  },
  {
    name: 'planner -> egress gateway',
    mutate: (root) =>
      editObject(root, 'istio/egress-gateway.yaml', 'AuthorizationPolicy', 'executor-only', (p) => {
        p.spec.rules[0].from[0].source.principals.push(principalOf('ddo', 'ddo-planner'));
      }),
    at: 'istio/egress-gateway.yaml: AuthorizationPolicy/executor-only',
    says: /Only the executor's principal \(.*\/ddo-executor\) may use the egress gateway, but planner can/,
  },
  {
    name: 'an undeclared host used by a provider',
    mutate: () => undefined,
    facts: (f) => ({ ...f, egressHosts: [...f.egressHosts, 'api.mistral.ai'] }),
    at: 'istio/egress-service-entries.yaml: ServiceEntry/(none)',
    says: /can reach api\.mistral\.ai .* no ServiceEntry declares it.*\. Declare api\.mistral\.ai in a/,
  },
  {
    name: 'a declared host no code calls',
    mutate: (root) =>
      editObject(root, 'istio/egress-service-entries.yaml', 'ServiceEntry', 'openai', (se) => {
        se.spec.hosts.push('api.example.org');
      }),
    at: 'istio/egress-service-entries.yaml: ServiceEntry/openai',
    says: /It declares api\.example\.org, which no code calls/,
  },
  {
    name: 'a Trigger for a type nobody emits',
    mutate: (root) =>
      appendObject(root, 'knative/triggers.yaml', {
        apiVersion: 'eventing.knative.dev/v1',
        kind: 'Trigger',
        metadata: { name: 'ddo-run-cancelled', namespace: 'ddo' },
        spec: {
          broker: 'default',
          filter: { attributes: { type: 'dev.ddo.run.cancelled' } },
          subscriber: { ref: { ...DEAD_LETTERS, name: 'ddo-orchestrator' } },
          delivery: { retry: 5, backoffPolicy: 'exponential', deadLetterSink: { ref: DEAD_LETTERS } },
        },
      }),
    at: 'knative/triggers.yaml: Trigger/ddo-run-cancelled',
    says: /It routes dev\.ddo\.run\.cancelled, which no code emits/,
  },
  {
    name: 'an event type with no Trigger',
    mutate: (root) => editObject(root, 'knative/triggers.yaml', 'Trigger', 'ddo-step-completed', () => null),
    at: 'knative/triggers.yaml: Trigger/(none)',
    says: /dev\.ddo\.step\.completed is emitted by executor and consumed by ddo-orchestrator, but no Trigger/,
  },
  {
    name: 'a Service without zone spread',
    mutate: (root) =>
      editObject(root, 'knative/planner.yaml', 'Service', 'ddo-planner', (s) => {
        delete s.spec.template.spec.topologySpreadConstraints;
      }),
    at: 'knative/planner.yaml: Service/ddo-planner',
    says: /Its replicas do not spread over topology\.kubernetes\.io\/zone\. Add a topologySpreadConstraint/,
  },
  {
    name: 'a broken subscriber reference',
    mutate: (root) =>
      editObject(root, 'knative/triggers.yaml', 'Trigger', 'ddo-plan-requested', (t) => {
        t.spec.subscriber.ref.name = 'ddo-plannr';
      }),
    at: 'knative/triggers.yaml: Trigger/ddo-plan-requested',
    says: /spec\.subscriber refers to Service ddo-plannr, which is no Knative Service in this profile/,
  },
  {
    name: 'a missing ServiceAccount',
    mutate: (root) => editObject(root, 'knative/executor.yaml', 'ServiceAccount', 'ddo-executor', () => null),
    at: 'knative/executor.yaml: Service/ddo-executor',
    says: /Its ServiceAccount ddo-executor does not exist/,
  },
  {
    name: 'an executor Secret key that is not mapped',
    mutate: (root) =>
      editObject(root, 'knative/executor.yaml', 'Service', 'ddo-executor', (s) => {
        const c = s.spec.template.spec.containers[0];
        c.env = c.env.filter((e: { name: string }) => e.name !== 'WATSONX_AI_APIKEY');
      }),
    at: 'knative/executor.yaml: Service/ddo-executor',
    says: /It does not map key WATSONX_AI_APIKEY of Secret ddo-executor-providers/,
  },
  {
    name: 'a provider credential in the planner',
    mutate: (root) =>
      editObject(root, 'knative/planner.yaml', 'Service', 'ddo-planner', (s) => {
        const secretKeyRef = { name: 'ddo-executor-providers', key: 'OPENAI_API_KEY' };
        s.spec.template.spec.containers[0].env.push({ name: 'OPENAI_API_KEY', valueFrom: { secretKeyRef } });
      }),
    at: 'knative/planner.yaml: Service/ddo-planner',
    says: /It reads OPENAI_API_KEY from Secret ddo-executor-providers, which only ddo-executor may hold/,
  },
  {
    name: 'a skaffold image no Service runs',
    mutate: (root) =>
      replaceIn(root, 'skaffold.yaml', '  artifacts:\n', '  artifacts:\n    - image: ddo-extra\n'),
    at: 'skaffold.yaml: Artifact/ddo-extra',
    says: /No Knative Service runs the image ddo-extra/,
  },
  {
    name: 'a Service whose image skaffold does not build',
    mutate: (root) =>
      editObject(root, 'knative/planner.yaml', 'Service', 'ddo-planner', (s) => {
        s.spec.template.spec.containers[0].image = 'ghcr.io/acme/planner:latest';
      }),
    at: 'knative/planner.yaml: Service/ddo-planner',
    says: /Its image ghcr\.io\/acme\/planner:latest is not built by skaffold\.yaml/,
  },
  {
    name: 'prod without per-zone minimums',
    mutate: (root) => replaceIn(root, 'knative/prod/kustomization.yaml', 'value: "3"', 'value: "1"'),
    at: 'knative/api-gateway.yaml: Service/ddo-api-gateway',
    says: /In the prod profile: In a 3-zone profile it must keep a replica per zone, but min-scale is 1/,
  },
  {
    name: 'an egress rule to the internet',
    mutate: (root) =>
      editObject(root, 'istio/outbound.yaml', 'NetworkPolicy', 'in-cluster-only', (p) => {
        p.spec.egress.push({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] });
      }),
    at: 'istio/outbound.yaml: NetworkPolicy/in-cluster-only',
    says: /An egress rule allows ipBlock 0\.0\.0\.0\/0, so pods could reach the internet without their/,
  },
  {
    name: 'a Sidecar that lets anything out',
    mutate: (root) =>
      editObject(root, 'istio/outbound.yaml', 'Sidecar', 'default', (s) => {
        s.spec.outboundTrafficPolicy.mode = 'ALLOW_ANY';
      }),
    at: 'istio/outbound.yaml: Sidecar/default',
    says: /Its outbound traffic policy is ALLOW_ANY, not REGISTRY_ONLY/,
  },
  {
    name: 'a planner that can see the egress gateway',
    mutate: (root) =>
      editObject(root, 'istio/outbound.yaml', 'Sidecar', 'ddo-planner', (s) => {
        s.spec.egress[0].hosts.push('istio-system/*');
      }),
    at: 'istio/outbound.yaml: Sidecar/ddo-planner',
    says: /ddo-planner must have no path out of the mesh/,
  },
  {
    name: 'TLS origination that skips certificate checks',
    mutate: (root) =>
      editObject(root, 'istio/egress-routes.yaml', 'DestinationRule', 'egress-openai', (d) => {
        d.spec.trafficPolicy.portLevelSettings[0].tls.insecureSkipVerify = true;
      }),
    at: 'istio/egress-routes.yaml: DestinationRule/egress-openai',
    says: /The egress gateway does not originate TLS to api\.openai\.com with certificate verification/,
  },
  {
    name: 'an executor timeout below its longest model call',
    mutate: (root) =>
      editObject(root, 'knative/executor.yaml', 'Service', 'ddo-executor', (s) => {
        s.spec.template.spec.timeoutSeconds = 100;
      }),
    at: 'knative/executor.yaml: Service/ddo-executor',
    says: /timeoutSeconds 100 is not above its longest request: a model turn of 270 s/,
  },
  {
    name: 'a value the schema refuses',
    mutate: (root) =>
      editObject(root, 'istio/peer-authentication.yaml', 'PeerAuthentication', 'default', (pa) => {
        pa.spec.mtls.mode = 'ON';
      }),
    at: 'istio/peer-authentication.yaml: PeerAuthentication/default',
    says: /not match the security\.istio\.io\/v1beta1 PeerAuthentication schema: \/spec\/mtls\/mode must/,
  },
  {
    name: 'a manifest no profile deploys',
    mutate: (root) =>
      fs.writeFileSync(path.join(root, 'istio/stray.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {}\n'),
    at: 'istio/stray.yaml: File',
    says: /No skaffold profile deploys it/,
  },
];

describe('check:deploy on a mutated copy', () => {
  let root: string;

  beforeEach(() => {
    root = copyRepo();
  });

  afterEach(() => {
    removeCopy(root);
  });

  test.each(MUTATIONS.map((m) => [m.name, m] as const))('reports %s', (_name, mutation) => {
    mutation.mutate(root);
    const facts = mutation.facts?.(declaredFacts());

    const found = findings(root, facts).filter((line) => line.startsWith(`${mutation.at}: `));

    expect(found).toContainEqual(expect.stringMatching(mutation.says));
  });
});
