/** Query-string parameters of the internal HTTP APIs. */
import type { Request } from 'express';
import { BadRequestError } from '../errors';

/** A whole number in 0..max from `?name=`, `fallback` when absent; else a 400 naming it. */
export function intQuery(req: Request, name: string, fallback: number, max: number): number {
  const raw = req.query[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new BadRequestError(`${name} must be an integer in 0..${max}.`, name);
  return n;
}
