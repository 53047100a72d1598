/**
 * JSON Schema validation (ajv) with errors that name the offending field. Validators are
 * compiled on first use and cached, so functions that never see a schema never pay for it.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { BadRequestError } from './errors';

let ajv: Ajv | undefined;
const cache = new WeakMap<object, ValidateFunction>();

function instance(): Ajv {
  if (!ajv) {
    ajv = new Ajv({ allErrors: false, strict: false });
    addFormats(ajv);
  }
  return ajv;
}

/** Compiles (once) and returns the validator for `schema`. */
export function validatorFor(schema: object): ValidateFunction {
  let fn = cache.get(schema);
  if (!fn) {
    fn = instance().compile(schema);
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
  const what =
    e.keyword === 'required'
      ? 'is required'
      : e.keyword === 'additionalProperties'
        ? 'is not an allowed property'
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
