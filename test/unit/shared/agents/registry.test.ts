import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../../shared/errors';
import { parseAgentFile } from '../../../../shared/agents/registry';

const VALID = `id: helper
instructions: Be brief.
model:
  provider: offline
  name: offline-1
tools: [calculator, clock]
limits:
  maxIterations: 2
  maxSteps: 4
  timeoutSeconds: 30
memory:
  factScope: agent
`;

describe('parseAgentFile', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-agents-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Writes `yaml` as `name` in the temp folder and returns its path. */
  function writeAgent(name: string, yaml: string): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, yaml);
    return file;
  }

  function thrownBy(fn: () => unknown): unknown {
    try {
      fn();
    } catch (err) {
      return err;
    }
    throw new Error('expected the call to throw');
  }

  it('parses a valid definition', () => {
    const file = writeAgent('helper.yaml', VALID);

    const agent = parseAgentFile(file);

    expect(agent).toEqual({
      id: 'helper',
      instructions: 'Be brief.',
      model: { provider: 'offline', name: 'offline-1' },
      tools: ['calculator', 'clock'],
      limits: { maxIterations: 2, maxSteps: 4, timeoutSeconds: 30 },
      memory: { factScope: 'agent' },
    });
  });

  it('parses the demo agent shipped in agents/', () => {
    const agent = parseAgentFile(path.resolve(__dirname, '../../../../agents/demo.yaml'));

    expect(agent).toMatchObject({ id: 'demo', model: { provider: 'offline' } });
    expect(agent.tools).toEqual(expect.arrayContaining(['calculator', 'clock', 'text_stats', 'remember']));
  });

  it('accepts the .yml extension', () => {
    const file = writeAgent('helper.yml', VALID);

    const agent = parseAgentFile(file);

    expect(agent.id).toBe('helper');
  });

  test.each([
    ['a missing top-level field', VALID.replace('instructions: Be brief.\n', ''), 'instructions'],
    ['a missing nested field', VALID.replace('  maxSteps: 4\n', ''), 'limits/maxSteps'],
    ['a field of the wrong type', VALID.replace('maxIterations: 2', 'maxIterations: two'), 'limits/maxIterations'],
    ['an unknown field', `${VALID}colour: teal\n`, 'colour'],
    ['a value out of range', VALID.replace('timeoutSeconds: 30', 'timeoutSeconds: 0'), 'limits/timeoutSeconds'],
  ])('refuses %s with a ConfigError naming the file and the field', (_label, yaml, field) => {
    const file = writeAgent('helper.yaml', yaml);

    const err = thrownBy(() => parseAgentFile(file));

    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ reason: 'config', details: { file } });
    expect((err as Error).message).toMatch(/\/helper\.yaml: /);
    expect((err as Error).message).toContain(`field ${field}`);
  });

  it('refuses a tool the catalogue does not have, naming its position', () => {
    const file = writeAgent('helper.yaml', VALID.replace('[calculator, clock]', '[calculator, weather]'));

    const err = thrownBy(() => parseAgentFile(file));

    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ details: { file } });
    expect((err as Error).message).toContain('tools/1');
    expect((err as Error).message).toContain('"weather"');
  });

  it('refuses an id that differs from the file name', () => {
    const file = writeAgent('other.yaml', VALID);

    const err = thrownBy(() => parseAgentFile(file));

    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ details: { file } });
    expect((err as Error).message).toMatch(/\/other\.yaml: field id is helper/);
  });

  it('refuses text that is not YAML', () => {
    const file = writeAgent('helper.yaml', 'id: [unclosed\n  - : :');

    const err = thrownBy(() => parseAgentFile(file));

    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/\/helper\.yaml: not valid YAML/);
  });

  test.each([
    ['an empty file', ''],
    ['a list', '- id: helper\n'],
  ])('refuses %s as a definition', (_label, yaml) => {
    const file = writeAgent('helper.yaml', yaml);

    const err = thrownBy(() => parseAgentFile(file));

    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ details: { file } });
  });
});
