import { memorySettings } from '../../functions/memory/settings';
import { EGRESS_HOSTS, PROVIDER_HOSTS, meshEgressUrl } from '../../shared/deploy/egress-hosts';
import { PERMITTED_EDGES, formatEdge } from '../../shared/deploy/mesh';
import { DEPLOY_SECRETS, MEMORY_SECRET_KEYS } from '../../shared/deploy/secrets';
import { DEPLOYED_FUNCTIONS } from '../../shared/deploy/topology';
import { istioMatch } from '../../scripts/check-deploy/checks/edges';

describe('EGRESS_HOSTS', () => {
  it('is every provider host, once, sorted', () => {
    expect(EGRESS_HOSTS).toEqual([...new Set(Object.values(PROVIDER_HOSTS).flat())].sort());
    expect(EGRESS_HOSTS).toContain('bedrock-runtime.eu-central-1.amazonaws.com');
  });
});

describe('meshEgressUrl', () => {
  const inMesh = { DDO_EGRESS_TLS_ORIGINATION: 'true' };

  const openai = 'https://api.openai.com/v1/chat';

  test.each([
    ['an https URL to a declared host in the mesh', openai, inMesh, 'http://api.openai.com/v1/chat'],
    ['the same URL outside the mesh', openai, {}, openai],
    ['an undeclared host', 'https://example.org/x', inMesh, 'https://example.org/x'],
    ['a declared host on another port', 'https://iam.cloud.ibm.com:8443/t', inMesh, 'https://iam.cloud.ibm.com:8443/t'],
    ['a loopback development server', 'http://127.0.0.1:11434/v1', inMesh, 'http://127.0.0.1:11434/v1'],
  ])('maps %s', (_name, url, env, expected) => {
    expect(meshEgressUrl(url, env).href).toBe(expected);
  });
});

describe('MEMORY_SECRET_KEYS', () => {
  it('names environment variables the memory service declares in its settings', () => {
    const declared = Object.values(memorySettings).map((s) => s.env);

    expect(declared).toEqual(expect.arrayContaining([...MEMORY_SECRET_KEYS]));
  });
});

describe('DEPLOY_SECRETS', () => {
  it('gives each key to exactly one deployed function', () => {
    const keys = DEPLOY_SECRETS.flatMap((s) => s.keys);

    expect(new Set(keys).size).toBe(keys.length);
    for (const s of DEPLOY_SECRETS) expect(DEPLOYED_FUNCTIONS.map((f) => f.id)).toContain(s.owner);
  });
});

describe('PERMITTED_EDGES', () => {
  it('lets knative-serving fully into scale-to-zero functions and only probe always-on ones', () => {
    expect(PERMITTED_EDGES).toContain(formatEdge('knative-serving', 'planner'));
    expect(PERMITTED_EDGES).toContain(formatEdge('knative-serving', 'memory', ['/healthz', '/metrics']));
    expect(PERMITTED_EDGES).not.toContain(formatEdge('knative-serving', 'memory'));
  });

  it('has no path to memory but from the orchestrator, and no way out but the executor', () => {
    const into = (to: string): string[] =>
      PERMITTED_EDGES.filter((e) => e.split(' -> ')[1].startsWith(to) && !e.startsWith('knative-serving'));

    expect(into('memory')).toEqual(['orchestrator -> memory']);
    expect(into('egress-gateway')).toEqual(['executor -> egress-gateway']);
  });
});

describe('istioMatch', () => {
  test.each([
    ['/ddo/default', '/ddo/default', true],
    ['/ddo/*', '/ddo/default', true],
    ['/ddo/*', '/other/default', false],
    ['*/default', '/ddo/default', true],
    ['*', '/anything', true],
    ['/ddo/default', '/ddo/default/', false],
  ])('matches %s against %s: %p', (pattern, value, expected) => {
    expect(istioMatch(pattern, value)).toBe(expected);
  });
});
