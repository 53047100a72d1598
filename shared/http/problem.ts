/**
 * RFC 9457 problem details: the one error body every DDO HTTP surface returns. Client faults
 * say exactly what was wrong; server faults say only what the caller can do about them.
 */
import type { Response } from 'express';
import { asDdoError, MethodNotAllowedError, RateLimitedError } from '../errors';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  reason: string;
  field?: string;
  [extra: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Builds the problem body for an error; internal details of 5xx stay in the logs. */
export function toProblem(err: unknown): Problem {
  const e = asDdoError(err);
  const isServerFault = e.status >= 500;
  const detail =
    isServerFault && e.reason === 'internal' ? 'The request failed on the server; it is safe to retry.' : e.message;
  const problem: Problem = {
    type: `urn:ddo:problem:${e.reason}`,
    title: TITLES[e.status] ?? 'Error',
    status: e.status,
    detail,
    reason: e.reason,
  };
  if (!isServerFault) {
    for (const [k, v] of Object.entries(e.details)) if (v !== undefined) problem[k] = v;
  }
  return problem;
}

/** Sends `err` as problem+json, with Retry-After or Allow where the status calls for them. */
export function sendProblem(res: Response, err: unknown): Problem {
  const problem = toProblem(err);
  if (err instanceof RateLimitedError) res.setHeader('Retry-After', String(err.retryAfterSeconds));
  if (err instanceof MethodNotAllowedError) res.setHeader('Allow', err.allow.join(', '));
  if (problem.status === 503) res.setHeader('Retry-After', '1');
  res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  return problem;
}
