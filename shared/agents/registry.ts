/**
 * Loads every agent definition from DDO_AGENTS_DIR (default `./agents`) once per process.
 * A bad file is fatal at start-up with a message naming the file and the field.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readConfigFile } from '../config-file';
import { ConfigError, NotFoundError } from '../errors';
import { findTool } from '../tools/catalogue';
import { agentSchema, type AgentDefinition } from './schema';

export type AgentRegistry = ReadonlyMap<string, AgentDefinition>;

const cache = new Map<string, AgentRegistry>();

/** The agents folder for this process. */
export function agentsDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.DDO_AGENTS_DIR ?? path.join(process.cwd(), 'agents'));
}

/** Reads and validates every `*.yaml`/`*.yml` file in `dir`. */
export function loadAgents(dir: string = agentsDir()): AgentRegistry {
  const cached = cache.get(dir);
  if (cached) return cached;

  if (!fs.existsSync(dir)) throw new ConfigError(`The agents folder ${dir} does not exist; set DDO_AGENTS_DIR.`);
  const registry = new Map<string, AgentDefinition>();
  for (const file of fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const agent = parseAgentFile(path.join(dir, file));
    if (registry.has(agent.id)) throw new ConfigError(`${file}: agent id ${agent.id} is defined twice.`);
    registry.set(agent.id, agent);
  }
  cache.set(dir, registry);
  return registry;
}

/** Parses and validates one agent file. */
export function parseAgentFile(file: string): AgentDefinition {
  const agent = readConfigFile<AgentDefinition>(file, agentSchema, 'id, instructions, model, tools and limits');
  agent.tools.forEach((tool, i) => {
    if (!findTool(tool)) throw new ConfigError(`${file}: field tools/${i} names unknown tool ${JSON.stringify(tool)}.`, { file });
  });
  return agent;
}

/** Returns the agent or throws a 404 naming it. */
export function requireAgent(registry: AgentRegistry, agentId: string): AgentDefinition {
  const agent = registry.get(agentId);
  if (!agent) throw new NotFoundError(`There is no agent ${JSON.stringify(agentId)}.`);
  return agent;
}
