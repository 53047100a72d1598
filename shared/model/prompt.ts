/** How remembered facts are written into the system message, and read back by the offline model. */

const FACTS_HEADING = 'Facts you remember:';

/** The system message: the agent's instructions, then the facts memory recalled. */
export function systemPrompt(instructions: string, facts: string[]): string {
  if (facts.length === 0) return instructions.trim();
  return `${instructions.trim()}\n\n${FACTS_HEADING}\n${facts.map((f) => `- ${f}`).join('\n')}`;
}

/** The facts listed in a system message built by `systemPrompt`. */
export function factsInPrompt(system: string): string[] {
  const section = system.split(`${FACTS_HEADING}\n`)[1] ?? '';
  return section.split('\n').filter((l) => l.startsWith('- ')).map((l) => l.slice(2));
}
