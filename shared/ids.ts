/**
 * Identifiers. Every id that ends up in a store key is checked against one pattern, so a
 * client-chosen id cannot carry key separators (`:`), patterns (`*`) or path tricks (`/`, `..`).
 */
import { createHash, randomUUID } from 'node:crypto';
import { BadRequestError } from './errors';

export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';
const ID_RE = new RegExp(ID_PATTERN);

/** Whether `value` is a safe identifier. */
export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_RE.test(value) && !value.includes('..');
}

/** Returns `value` if it is a safe identifier, else throws a 400 naming `field`. */
export function requireId(value: unknown, field: string): string {
  if (!isValidId(value)) {
    throw new BadRequestError(
      `${field} must be 1-128 characters of letters, digits, '.', '_' or '-', starting with a letter or digit.`,
      field,
    );
  }
  return value;
}

/** A new random id with a short readable prefix, for example `run_3f2a…`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '')}`;
}

/** A stable id derived from arbitrary text (used when a mesh event carries no run id). */
export function stableId(prefix: string, text: string): string {
  return `${prefix}_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
}
