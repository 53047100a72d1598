/** The model section of agent files: providers, per-provider options and fallbacks. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../../shared/errors';
import { loadAgents, parseAgentFile } from '../../../../shared/agents/registry';

const AGENTS_DIR = path.resolve(__dirname, '../../../../agents');

function agentYaml(model: string): string {
  return `id: a1
instructions: Be brief.
model:
${model}
tools: [calculator]
limits: { maxIterations: 2, maxSteps: 4, timeoutSeconds: 30 }
`;
}

describe('agent model definitions', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddo-models-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function parse(model: string) {
    const file = path.join(dir, 'a1.yaml');
    fs.writeFileSync(file, agentYaml(model));
    return parseAgentFile(file);
  }

  function failure(model: string): ConfigError {
    try {
      parse(model);
    } catch (err) {
      return err as ConfigError;
    }
    throw new Error('expected the file to be refused');
  }

  it('loads every shipped agent without any provider credentials', () => {
    const agents = loadAgents(AGENTS_DIR);

    expect([...agents.keys()]).toEqual(expect.arrayContaining(['demo', 'gpt', 'local-ollama', 'bedrock-claude', 'watsonx-granite']));
    expect(agents.get('gpt')?.model.fallbacks).toEqual([{ provider: 'openai', name: 'gpt-4.1-mini' }]);
    expect(agents.get('local-ollama')?.model.options).toMatchObject({ baseURL: 'http://127.0.0.1:11434/v1' });
  });

  it('reads fallbacks with their own providers and options', () => {
    const agent = parse(`  provider: openai
  name: gpt-4o-mini
  fallbacks:
    - { provider: bedrock, name: amazon.nova-lite-v1:0, options: { region: eu-central-1 } }
    - { provider: watsonx, name: ibm/granite-3-8b-instruct, options: { projectId: p1 } }`);

    expect(agent.model.fallbacks?.map((f) => f.provider)).toEqual(['bedrock', 'watsonx']);
  });

  test.each([
    ['  provider: gpt\n  name: x', /model\/provider/],
    ['  provider: openai\n  name: x\n  options: { baseUrl: "http://h" }', /model\/options\/baseUrl is not an allowed property/],
    ['  provider: bedrock\n  name: x\n  options: { projectId: p }', /model\/options\/projectId is not an allowed property/],
    ['  provider: openai\n  name: x\n  options: { apiKeyEnv: AWS_SECRET_ACCESS_KEY }', /model\/options\/apiKeyEnv/],
    ['  provider: openai\n  name: x\n  options: { temperature: 7 }', /model\/options\/temperature/],
    ['  provider: openai\n  name: x\n  fallbacks: [{ provider: openai }]', /model\/fallbacks\/0\/name is required/],
  ])('refuses %j, naming the field', (model, field) => {
    const err = failure(model);

    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(field);
  });
});
