import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DdoError } from '../../../../shared/errors';
import {
  assertEgressAllowed,
  EgressDeniedError,
  loadDeclaredHosts,
  type EgressPolicy,
} from '../../../../functions/executor/egress';

const ISTIO_DIR = path.resolve(__dirname, '../../../../istio');

function makePolicy(overrides: Partial<EgressPolicy> = {}): EgressPolicy {
  return { hosts: ['api.openai.com', '*.ml.cloud.ibm.com'], local: [], ...overrides };
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw');
}

describe('loadDeclaredHosts', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-egress-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads the hosts of the ServiceEntries in istio/', () => {
    const hosts = loadDeclaredHosts(ISTIO_DIR);

    expect(hosts).toEqual(
      expect.arrayContaining(['api.openai.com', 'iam.cloud.ibm.com', 'bedrock-runtime.us-east-1.amazonaws.com']),
    );
    expect(hosts).toEqual([...hosts].sort());
  });

  it('walks sub-folders, lower-cases hosts and skips other kinds', () => {
    fs.mkdirSync(path.join(dir, 'nested'));
    fs.writeFileSync(
      path.join(dir, 'nested', 'entries.yml'),
      [
        'kind: ServiceEntry\nspec:\n  hosts: [API.Example.COM, "*.svc.example.org"]',
        'kind: AuthorizationPolicy\nspec:\n  hosts: [not-a-service-entry.example]',
      ].join('\n---\n'),
    );
    fs.writeFileSync(path.join(dir, 'README.md'), 'kind: ServiceEntry\nspec:\n  hosts: [ignored.example]');

    const hosts = loadDeclaredHosts(dir);

    expect(hosts).toEqual(['*.svc.example.org', 'api.example.com']);
  });

  it('returns no hosts for a folder that does not exist', () => {
    const hosts = loadDeclaredHosts(path.join(dir, 'missing'));

    expect(hosts).toEqual([]);
  });
});

describe('assertEgressAllowed', () => {
  test.each([
    'https://api.openai.com/v1/chat/completions',
    'https://API.OpenAI.com/v1/models',
    'http://api.openai.com:8443/x',
    'https://us-south.ml.cloud.ibm.com/ml/v1/text/generation',
  ])('allows the declared host of %s', (url) => {
    const result = assertEgressAllowed(makePolicy(), url);

    expect(result).toBeInstanceOf(URL);
    expect(result.href).toBe(new URL(url).href);
  });

  test.each([
    ['https://example.com/', 'example.com'],
    ['https://api.openai.com.evil.test/', 'api.openai.com.evil.test'],
    ['https://api.openai.com@evil.test/', 'evil.test'],
    ['https://ml.cloud.ibm.com/', 'ml.cloud.ibm.com'],
    ['https://evilml.cloud.ibm.com/', 'evilml.cloud.ibm.com'],
    ['http://93.184.216.34/', '93.184.216.34'],
    ['http://169.254.169.254/latest/meta-data', '169.254.169.254'],
    ['http://[2001:db8::1]/', '2001:db8::1'],
    ['http://0.0.0.0:8080/', '0.0.0.0'],
  ])('refuses %s with an EgressDeniedError naming the host', (url, host) => {
    const err = thrownBy(() => assertEgressAllowed(makePolicy(), url));

    expect(err).toBeInstanceOf(EgressDeniedError);
    expect(err).toMatchObject({ status: 403, reason: 'egress_denied', details: { host } });
    expect((err as Error).message).toContain(host);
  });

  test.each([
    ['http://127.0.0.1:11434/api/chat', ['127.0.0.1:11434']],
    ['http://localhost:11434/', ['localhost:11434']],
    ['http://[::1]:11434/', ['[::1]:11434']],
    ['http://127.0.0.1/', ['127.0.0.1:80']],
  ])('allows the loopback address %s when policy.local lists it with its port', (url, local) => {
    const result = assertEgressAllowed(makePolicy({ local }), url);

    expect(result.href).toBe(new URL(url).href);
  });

  test.each([
    ['http://127.0.0.1:11434/', [], '127.0.0.1:11434'],
    ['http://127.0.0.1:8080/', ['127.0.0.1:11434'], '127.0.0.1:8080'],
    ['http://localhost:11434/', ['127.0.0.1:11434'], 'localhost:11434'],
    ['http://127.0.0.2:11434/', ['127.0.0.1:11434'], '127.0.0.2:11434'],
  ])('refuses the loopback address %s unless listed (local %j)', (url, local, named) => {
    const err = thrownBy(() => assertEgressAllowed(makePolicy({ local }), url));

    expect(err).toBeInstanceOf(EgressDeniedError);
    expect(err).toMatchObject({ details: { host: named } });
  });

  it('refuses loopback even when it is declared as a mesh host', () => {
    const policy = makePolicy({ hosts: ['localhost', '127.0.0.1'] });

    const err = thrownBy(() => assertEgressAllowed(policy, 'http://localhost:8084/v1'));

    expect(err).toBeInstanceOf(EgressDeniedError);
  });

  test.each(['file:///etc/passwd', 'ftp://api.openai.com/x', 'gopher://api.openai.com/', 'data:text/plain,hi'])(
    'refuses the non-http URL %s as bad_url',
    (url) => {
      const err = thrownBy(() => assertEgressAllowed(makePolicy(), url));

      expect(err).toBeInstanceOf(DdoError);
      expect(err).not.toBeInstanceOf(EgressDeniedError);
      expect(err).toMatchObject({ status: 400, reason: 'bad_url' });
    },
  );

  it('refuses text that is not a URL as bad_url', () => {
    const err = thrownBy(() => assertEgressAllowed(makePolicy(), 'not a url'));

    expect(err).toMatchObject({ status: 400, reason: 'bad_url' });
  });
});
