/**
 * A tiny method + path router for HTTP functions: `/v1/runs/:runId` patterns, 404 for an
 * unknown path and 405 (with Allow) for a known path and the wrong method.
 */
import { trace } from '@opentelemetry/api';
import type { Request, Response } from 'express';
import { MethodNotAllowedError, NotFoundError } from '../errors';

export type RouteHandler = (req: Request, res: Response, params: Record<string, string>) => Promise<void>;

interface Route {
  method: string;
  parts: string[];
  handler: RouteHandler;
}

export class Router {
  private readonly routes: Route[] = [];

  /** Registers `handler` for `method` on `pattern` (segments starting with `:` are parameters). */
  on(method: string, pattern: string, handler: RouteHandler): this {
    this.routes.push({ method, parts: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  /** Finds the handler for a request, or throws 404/405. */
  match(method: string, path: string): { handler: RouteHandler; params: Record<string, string> } {
    const segments = path.split('?')[0].split('/').filter(Boolean);
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchParts(route.parts, segments);
      if (!params) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) {
        const pattern = `/${route.parts.join('/')}`;
        trace.getActiveSpan()?.updateName(`${method} ${pattern}`);
        trace.getActiveSpan()?.setAttribute('http.route', pattern);
        return { handler: route.handler, params };
      }
      allowed.push(route.method);
    }
    if (allowed.length > 0) throw new MethodNotAllowedError(method, allowed);
    throw new NotFoundError(`No resource at ${path.split('?')[0]}.`);
  }
}

function matchParts(parts: string[], segments: string[]): Record<string, string> | undefined {
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    if (parts[i].startsWith(':')) {
      try {
        params[parts[i].slice(1)] = decodeURIComponent(segments[i]);
      } catch {
        return undefined;
      }
    } else if (parts[i] !== segments[i]) {
      return undefined;
    }
  }
  return params;
}
