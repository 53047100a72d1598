/**
 * Checks HTTP responses against the OpenAPI document: the status is documented for the
 * operation (or covered by `default`), the media type is one the response lists, and the body
 * validates against its schema with ajv's JSON Schema 2020-12 dialect (what OpenAPI 3.1 uses).
 *
 * Validation is stricter than the document: an object schema that lists `properties` also
 * forbids properties it does not list, so a field the server sends but the document does not
 * mention fails the contract instead of slipping through.
 */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parseSse } from '../e2e/helpers';

type Json = Record<string, unknown>;

const DOC_ID = 'urn:ddo:openapi';

/** Escapes one JSON Pointer segment (RFC 6901). */
export const pointerSegment = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** Every `$ref` string in `value`, with where it was found. */
export function refsIn(value: unknown, at = '#'): { ref: string; at: string }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => refsIn(v, `${at}/${i}`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) =>
    k === '$ref' && typeof v === 'string' ? [{ ref: v, at }] : refsIn(v, `${at}/${pointerSegment(k)}`),
  );
}

/** Resolves a local `#/…` pointer in `doc`, or returns undefined. */
export function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !(key in node)) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

/** A deep copy where every object schema with `properties` forbids unlisted properties. */
export function closedCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(closedCopy);
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) out[k] = closedCopy(v);
  const isOpenSchema =
    typeof out.properties === 'object' && !('additionalProperties' in out) && !('unevaluatedProperties' in out);
  if (isOpenSchema && !isOpenApiObject(value as Json)) out.unevaluatedProperties = false;
  return out;
}

function isOpenApiObject(value: Json): boolean {
  // Schema objects are the only OpenAPI objects with `properties`; this guards the assumption.
  return 'responses' in value || 'paths' in value;
}

/** One documented (path, method, status) triple, as `GET /v1/runs 200`. */
export type OperationKey = string;

/** Validates responses against the document and records which documented statuses were seen. */
export class OpenApiChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  private readonly validators = new Map<string, ReturnType<Ajv2020['compile']>>();
  readonly seen = new Set<OperationKey>();

  constructor(readonly doc: Json) {
    addFormats(this.ajv);
    this.ajv.addSchema(closedCopy(doc) as Json, DOC_ID);
  }

  /** Every documented status except `default`, as operation keys. */
  documented(): OperationKey[] {
    const keys: OperationKey[] = [];
    for (const [path, item] of Object.entries(this.doc.paths as Json)) {
      for (const [method, op] of Object.entries(item as Json)) {
        for (const status of Object.keys((op as Json).responses as Json)) {
          if (status !== 'default') keys.push(`${method.toUpperCase()} ${path} ${status}`);
        }
      }
    }
    return keys;
  }

  /** Problems with `res` (already read into `text`) as a response of `method` on `template`. */
  check(method: string, template: string, res: Response, text: string): string[] {
    const opPointer = `#/paths/${pointerSegment(template)}/${method.toLowerCase()}`;
    const op = resolvePointer(this.doc, opPointer) as Json | undefined;
    if (!op) return [`${method} ${template} is not documented`];
    const responses = op.responses as Json;
    const status = String(res.status);
    const key = status in responses ? status : 'default';
    if (!(key in responses)) return [`status ${status} is not documented for ${method} ${template}`];
    if (key !== 'default') this.seen.add(`${method} ${template} ${status}`);

    let responsePointer = `${opPointer}/responses/${key}`;
    let response = responses[key] as Json;
    if (typeof response.$ref === 'string') {
      responsePointer = response.$ref;
      response = resolvePointer(this.doc, response.$ref) as Json;
    }
    const problems: string[] = [];
    for (const name of Object.keys((response.headers as Json | undefined) ?? {})) {
      if (!res.headers.has(name)) problems.push(`header ${name} is documented but missing`);
    }
    const content = response.content as Json | undefined;
    if (!content) return text === '' ? problems : [...problems, 'a body was sent where none is documented'];
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0].trim();
    if (!(mediaType in content)) {
      return [...problems, `media type ${mediaType} is not documented (${Object.keys(content).join(', ')})`];
    }

    const schemaRef = `${DOC_ID}${responsePointer}/content/${pointerSegment(mediaType)}/schema`;
    if (mediaType === 'text/event-stream') return [...problems, ...this.checkStream(opPointer, text)];
    const body: unknown = mediaType.endsWith('json') ? JSON.parse(text) : text;
    return [...problems, ...this.validate(schemaRef, body, 'body')];
  }

  private checkStream(opPointer: string, text: string): string[] {
    const itemRef = (resolvePointer(this.doc, `${opPointer}/x-event-data`) as Json | undefined)?.$ref;
    if (typeof itemRef !== 'string') return ['the event stream names no x-event-data schema'];
    return parseSse(text).flatMap((m, i) => this.validate(`${DOC_ID}${itemRef}`, m.data, `message ${i + 1}`));
  }

  private validate(ref: string, value: unknown, what: string): string[] {
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.validators.set(ref, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map((e) => `${what}${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  }
}
