/** Pattern matching shared by the policy rules: `*` matches any run of characters. */

// Patterns come from policy files, fixed after start-up, and are matched on every model call
// and cost estimate, so each is compiled once.
const compiled = new Map<string, RegExp>();

/** Whether `value` (for example `openai/gpt-4o-mini`) matches `pattern` (for example `openai/gpt-4o*`). */
export function globMatches(pattern: string, value: string): boolean {
  let regex = compiled.get(pattern);
  if (!regex) {
    regex = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    compiled.set(pattern, regex);
  }
  return regex.test(value);
}

/** Whether `host` is `pattern`, or ends in its domain when `pattern` is `*.domain`. */
export function hostMatches(pattern: string, host: string): boolean {
  return pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern;
}
