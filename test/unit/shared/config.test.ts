import { ConfigError } from '../../../shared/errors';
import { loadSettings, parse, type Env, type SettingsSpec } from '../../../shared/config';

const spec = {
  port: { env: 'DDO_TEST_PORT', default: 8080, parse: parse.int(1, 65_535), doc: 'Port.' },
  verbose: { env: 'DDO_TEST_VERBOSE', default: false, parse: parse.bool, doc: 'Verbose logs.' },
  brokerUrl: { env: 'DDO_TEST_BROKER_URL', default: 'http://127.0.0.1:8090', parse: parse.url, doc: 'Broker.' },
  mode: { env: 'DDO_TEST_MODE', default: 'local' as 'local' | 'cluster', parse: parse.oneOf('local', 'cluster'), doc: 'Mode.' },
  apiKeys: { env: 'DDO_TEST_API_KEYS', parse: parse.string, doc: 'Keys (required).' },
} satisfies SettingsSpec;

const REQUIRED: Env = { DDO_TEST_API_KEYS: 'acme:acme-secret-key' };

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw');
}

describe('loadSettings', () => {
  test.each<[string, Env, Partial<Record<keyof typeof spec, unknown>>]>([
    ['defaults when nothing is set', {}, { port: 8080, verbose: false, brokerUrl: 'http://127.0.0.1:8090', mode: 'local' }],
    [
      'the environment over the default',
      { DDO_TEST_PORT: '9090', DDO_TEST_VERBOSE: 'yes', DDO_TEST_MODE: 'cluster' },
      { port: 9090, verbose: true, mode: 'cluster' },
    ],
    ['the default for an empty variable', { DDO_TEST_PORT: '' }, { port: 8080 }],
    ['the default for a blank variable', { DDO_TEST_PORT: '   ' }, { port: 8080 }],
    ['trimmed environment values', { DDO_TEST_PORT: ' 9090 ', DDO_TEST_VERBOSE: ' off ' }, { port: 9090, verbose: false }],
    [
      'URLs without trailing slashes',
      { DDO_TEST_BROKER_URL: 'http://broker.local/ddo/default//' },
      { brokerUrl: 'http://broker.local/ddo/default' },
    ],
  ])('uses %s', (_label, env, expected) => {
    const warn = jest.fn();

    const settings = loadSettings(spec, { ...REQUIRED, ...env }, warn);

    expect(settings).toMatchObject(expected);
    expect(warn).not.toHaveBeenCalled();
  });

  it('reads the required setting from the environment', () => {
    const settings = loadSettings(spec, REQUIRED, jest.fn());

    expect(settings.apiKeys).toBe('acme:acme-secret-key');
  });

  test.each<[string, Env]>([
    ['unset', {}],
    ['empty', { DDO_TEST_API_KEYS: '' }],
  ])('throws a ConfigError naming a required variable that is %s', (_label, env) => {
    const err = thrownBy(() => loadSettings(spec, env, jest.fn()));

    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ status: 500, reason: 'config' });
    expect((err as Error).message).toContain('DDO_TEST_API_KEYS');
  });

  it('names every missing required variable at once', () => {
    const twoRequired = { ...spec, region: { env: 'DDO_TEST_REGION', parse: parse.string, doc: 'Region.' } } satisfies SettingsSpec;

    const err = thrownBy(() => loadSettings(twoRequired, {}, jest.fn()));

    expect((err as Error).message).toContain('DDO_TEST_API_KEYS');
    expect((err as Error).message).toContain('DDO_TEST_REGION');
  });

  it('throws a ConfigError naming a required variable that is malformed', () => {
    const requiredInt = { workers: { env: 'DDO_TEST_WORKERS', parse: parse.int(1, 8), doc: 'Workers.' } } satisfies SettingsSpec;

    const err = thrownBy(() => loadSettings(requiredInt, { DDO_TEST_WORKERS: '99' }, jest.fn()));

    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('DDO_TEST_WORKERS');
  });

  test.each<[string, keyof typeof spec, string, unknown]>([
    ['a non-number port', 'port', 'eighty', 8080],
    ['a port out of range', 'port', '70000', 8080],
    ['a fractional port', 'port', '80.5', 8080],
    ['a non-boolean flag', 'verbose', 'maybe', false],
    ['a non-http URL', 'brokerUrl', 'ftp://broker', 'http://127.0.0.1:8090'],
    ['text that is not a URL', 'brokerUrl', 'broker', 'http://127.0.0.1:8090'],
    ['a value outside the choices', 'mode', 'hybrid', 'local'],
  ])('warns about %s naming the variable, value and fallback, then uses the default', (_label, key, value, fallback) => {
    const variable = spec[key].env;
    const warn = jest.fn();

    const settings = loadSettings(spec, { ...REQUIRED, [variable]: value }, warn);

    expect(settings[key]).toEqual(fallback);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining(variable), expect.objectContaining({ value, fallback }));
  });

  it('reads the environment at call time', () => {
    const env: Env = { ...REQUIRED };
    const before = loadSettings(spec, env, jest.fn());

    env.DDO_TEST_PORT = '9999';
    const after = loadSettings(spec, env, jest.fn());

    expect([before.port, after.port]).toEqual([8080, 9999]);
  });
});
