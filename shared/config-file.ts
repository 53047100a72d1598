/**
 * One YAML configuration file (an agent, a policy): parsed, checked against its schema and
 * against its file name, each failure a ConfigError that names the file and the field.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from './errors';
import { describeError, validatorFor } from './schema';
import { parseYaml } from './yaml-reader';

/**
 * Reads `file` as a `T` whose `id` must equal the file name. With `fields`, a document that is
 * not a mapping is refused by listing what it should hold.
 */
export function readConfigFile<T extends { id: string }>(file: string, schema: object, fields?: string): T {
  let doc: unknown;
  try {
    doc = parseYaml(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML: ${(err as Error).message}`, { file });
  }
  if (fields && (typeof doc !== 'object' || doc === null || Array.isArray(doc))) {
    throw new ConfigError(`${file}: must be a YAML mapping with ${fields}.`, { file });
  }
  const validate = validatorFor(schema);
  if (!validate(doc)) {
    const { message } = describeError(validate.errors, '');
    throw new ConfigError(`${file}: field ${message.replace(/^\//, '')}.`, { file });
  }
  const value = doc as T;
  const expectedId = path.basename(file).replace(/\.ya?ml$/, '');
  if (value.id !== expectedId) {
    throw new ConfigError(`${file}: field id is ${value.id} but the file name says ${expectedId}; make them match.`, { file });
  }
  return value;
}
