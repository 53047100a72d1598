/**
 * The built-in tool catalogue: name, description and input schema of every tool. The planner
 * validates plan steps against these schemas and the executor validates again before running;
 * the implementations live only in the executor.
 */
import type { ToolSpec } from '../model/types';

const MAX_TEXT = 100_000;

export const BUILTIN_TOOLS: readonly ToolSpec[] = Object.freeze([
  {
    name: 'calculator',
    description: 'Evaluates an arithmetic expression with + - * / % ^ and parentheses.',
    inputSchema: {
      type: 'object',
      properties: { expression: { type: 'string', minLength: 1, maxLength: 1_000 } },
      required: ['expression'],
      additionalProperties: false,
    },
  },
  {
    name: 'clock',
    description: 'Returns the current date and time in an IANA time zone such as Asia/Tokyo.',
    inputSchema: {
      type: 'object',
      properties: { timeZone: { type: 'string', minLength: 1, maxLength: 64 } },
      required: ['timeZone'],
      additionalProperties: false,
    },
  },
  {
    name: 'text_stats',
    description: 'Counts the words and characters of a text.',
    inputSchema: {
      type: 'object',
      properties: { text: { type: 'string', maxLength: MAX_TEXT } },
      required: ['text'],
      additionalProperties: false,
    },
  },
  {
    name: 'http_get',
    description: 'Fetches a URL with GET; only hosts declared to the mesh egress are reachable.',
    inputSchema: {
      type: 'object',
      properties: { url: { type: 'string', minLength: 1, maxLength: 2_048 } },
      required: ['url'],
      additionalProperties: false,
    },
  },
  {
    name: 'remember',
    description: 'Stores a fact in the agent memory so later runs can recall it.',
    inputSchema: {
      type: 'object',
      properties: { fact: { type: 'string', minLength: 1, maxLength: 2_000 } },
      required: ['fact'],
      additionalProperties: false,
    },
  },
]);

/** Looks up a built-in tool by name. */
export function findTool(name: string): ToolSpec | undefined {
  return BUILTIN_TOOLS.find((t) => t.name === name);
}
