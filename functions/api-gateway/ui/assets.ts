/**
 * The gateway's static documents: the run inspector (one HTML, one CSS and one JS file) and
 * the OpenAPI document as JSON. They are read once at start and served from memory with an
 * ETag, so the page loads from one round trip per file and revalidates cheaply. The OpenAPI
 * YAML is converted to JSON when it is first asked for: parsing it at start cost the gateway a
 * third of its cold start, and the contract tests already prove the committed document parses.
 *
 * The inspector's Content-Security-Policy allows scripts, styles and requests from this origin
 * only and no inline script, so data shown on the page can never run as code.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Request, Response } from 'express';
import { NotFoundError } from '../../../shared/errors';
import { parseYaml } from '../../../shared/yaml-reader';

/** One file, ready to send. */
export interface StaticAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

/** What the gateway serves besides the API; a missing file is named, not fatal. */
export interface GatewayAssets {
  /** By file name under /ui/ (`index.html` is also /ui itself). */
  ui: Map<string, StaticAsset>;
  /** Built on first access; a malformed document fails that request (500), not the start. */
  openapi?: StaticAsset;
  /** Files that were not found (an image built without them), for the 404 detail. */
  missing: string[];
}

const UI_DIR = 'functions/api-gateway/ui';
const UI_FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'inspector.css': 'text/css; charset=utf-8',
  'inspector.js': 'text/javascript; charset=utf-8',
};
const OPENAPI_FILE = 'docs/openapi.yaml';

/** The inspector's CSP: this origin only, no inline script or style, no framing. */
export const INSPECTOR_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Reads the assets from the repository layout: the folder above `from` that holds
 * docs/openapi.yaml (the repo root locally, /app in the image, from source or from dist/).
 */
export function loadGatewayAssets(from: string = __dirname): GatewayAssets {
  const root = findRoot(from);
  const missing: string[] = [];
  const read = (rel: string): Buffer | undefined => {
    try {
      return fs.readFileSync(path.join(root, rel));
    } catch {
      missing.push(rel);
      return undefined;
    }
  };
  const ui = new Map<string, StaticAsset>();
  for (const [name, contentType] of Object.entries(UI_FILES)) {
    const body = read(`${UI_DIR}/${name}`);
    if (body) ui.set(name, asset(body, contentType));
  }
  // Read now, so a missing document is known (and named) from the start; parsed on first use.
  const yaml = read(OPENAPI_FILE);
  let openapi: StaticAsset | undefined;
  return {
    ui,
    missing,
    get openapi() {
      if (!openapi && yaml) {
        const json = JSON.stringify(parseYaml(yaml.toString('utf8')));
        openapi = asset(Buffer.from(json), 'application/json');
      }
      return openapi;
    },
  };
}

/** Sends an asset, or 304 when the client already has this version. */
export function sendAsset(
  req: Request,
  res: Response,
  file: StaticAsset | undefined,
  what: string,
  assets: GatewayAssets,
): void {
  if (!file) {
    const missing = assets.missing.join(', ');
    const why = missing ? ` (missing from this deployment: ${missing})` : '';
    throw new NotFoundError(`${what} is not available${why}.`);
  }
  res.setHeader('ETag', file.etag);
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (file.contentType.startsWith('text/html')) {
    res.setHeader('Content-Security-Policy', INSPECTOR_CSP);
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
  }
  if (req.headers['if-none-match'] === file.etag) {
    res.status(304).end();
    return;
  }
  res.status(200).type(file.contentType).send(file.body);
}

function asset(body: Buffer, contentType: string): StaticAsset {
  const digest = createHash('sha256').update(body).digest('base64url');
  return { body, contentType, etag: `"${digest.slice(0, 22)}"` };
}

function findRoot(from: string): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const has = (rel: string) => fs.existsSync(path.join(dir, rel));
    if (has(OPENAPI_FILE) || has(`${UI_DIR}/index.html`)) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from);
  }
}
