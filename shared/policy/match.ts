/** Pattern matching shared by the policy rules: `*` matches any run of characters. */

/** Whether `value` (for example `openai/gpt-4o-mini`) matches `pattern` (for example `openai/gpt-4o*`). */
export const globMatches = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(value);
