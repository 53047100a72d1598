/**
 * JSON Schema validation (ajv) with errors that name the offending field. Every schema DDO ships
 * is compiled ahead of time into shared/validators/ (`npm run validators`), so a function loads
 * only the small generated validators it uses and never the ajv compiler; any other schema is
 * compiled with ajv on first use. Either way validators are cached per schema object.
 */
import { createHash } from 'node:crypto';
import type Ajv from 'ajv';
import type { ErrorObject } from 'ajv';
import { BadRequestError } from './errors';
import { PRECOMPILED } from './validators';

/** A compiled schema: true when `data` is valid, else false with `errors` set (ajv's shape). */
export type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/** The options every validator is compiled with, ahead of time and at run time alike. */
export const AJV_OPTIONS = { allErrors: false, strict: false } as const;

let ajv: Ajv | undefined;
const cache = new WeakMap<object, Validator>();

// Loaded only when a schema has no precompiled validator: the compiler costs tens of ms to load.
function instance(): Ajv {
  if (!ajv) {
    /* eslint-disable @typescript-eslint/no-require-imports -- deferred so start-up skips them */
    const { default: AjvClass } = require('ajv') as typeof import('ajv');
    const { default: addFormats } = require('ajv-formats') as typeof import('ajv-formats');
    /* eslint-enable @typescript-eslint/no-require-imports */
    ajv = new AjvClass(AJV_OPTIONS);
    addFormats(ajv);
  }
  return ajv;
}

/**
 * The key of a schema's precompiled validator: a digest of its JSON. A schema edited since the
 * validators were generated gets a new key, so it is compiled at run time rather than checked
 * with a stale validator (and the freshness test fails until they are regenerated).
 */
export function schemaKey(schema: object): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex').slice(0, 32);
}

/** Returns the validator for `schema`: its precompiled one, or one compiled now (once). */
export function validatorFor(schema: object): Validator {
  let fn = cache.get(schema);
  if (!fn) {
    fn = PRECOMPILED[schemaKey(schema)]?.() ?? (instance().compile(schema) as Validator);
    cache.set(schema, fn);
  }
  return fn;
}

/** Describes the first ajv error as a field pointer and a sentence. */
export function describeError(errors: ErrorObject[] | null | undefined, root: string): { field: string; message: string } {
  const e = errors?.[0];
  if (!e) return { field: root, message: `${root} is invalid` };
  let field = `${root}${e.instancePath}`;
  if (e.keyword === 'required') field = `${field}/${String(e.params.missingProperty)}`;
  if (e.keyword === 'additionalProperties') field = `${field}/${String(e.params.additionalProperty)}`;
  const allowed = e.keyword === 'enum' ? (e.params.allowedValues as unknown[]) : undefined;
  const what =
    e.keyword === 'required'
      ? 'is required'
      : e.keyword === 'additionalProperties'
        ? 'is not an allowed property'
        : allowed
          ? `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`
          : e.message ?? 'is invalid';
  return { field, message: `${field} ${what}` };
}

/** Validates `value` against `schema`; throws BadRequestError naming the field under `root`. */
export function assertValid<T>(schema: object, value: unknown, root: string): T {
  const validate = validatorFor(schema);
  if (!validate(value)) {
    const { field, message } = describeError(validate.errors, root);
    throw new BadRequestError(`${message}.`, field);
  }
  return value as T;
}
