/**
 * Whether an HTTP request carries a CloudEvent at all: binary-mode headers or a structured
 * content type. Kept free of imports, so the plain HTTP boundary can ask without loading the
 * CloudEvents SDK (the memory function never handles an event).
 */
import type { IncomingHttpHeaders } from 'node:http';

export function isCloudEventRequest(headers: IncomingHttpHeaders): boolean {
  return 'ce-specversion' in headers || String(headers['content-type'] ?? '').startsWith('application/cloudevents+json');
}
