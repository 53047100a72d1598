/**
 * The precompiled validators: shared/validators/ is exactly what `npm run validators` makes from
 * today's schemas, every shipped schema finds its validator there, and each validator gives the
 * verdict and the first error that ajv compiling the schema at run time gives.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { AJV_OPTIONS, describeError, schemaKey, validatorFor } from '../../shared/schema';
import { PRECOMPILED } from '../../shared/validators';
import { generatedValidatorFiles, SHIPPED, strayValidatorFiles } from '../../scripts/validators';

const root = path.join(__dirname, '../..');
const files = generatedValidatorFiles();

// Values that fail most schemas early and in different places, and a few that pass some.
const SAMPLES: unknown[] = [
  undefined,
  null,
  'text',
  42,
  [],
  {},
  { id: 'x' },
  { tenant: 'acme', runId: 'r1', agentId: 'demo', iteration: 1 },
  { tenant: 'acme', agentId: 'demo', input: 'hi' },
  { tenant: 'acme', agentId: 'demo', input: '' },
  { tenant: 'bad id!', agentId: 'demo', input: 'hi' },
  { expression: '1+1' },
  { expression: 1 },
  { steps: [] },
  { steps: [{ id: 's1', tool: 'calculator', args: {}, dependsOn: ['s1', 's1'] }] },
  { decision: 'approve', extra: true },
];

describe('the precompiled validators', () => {
  it.each(Object.keys(files))('%s is up to date with its schema (npm run validators)', (rel) => {
    expect(fs.readFileSync(path.join(root, rel), 'utf8')).toBe(files[rel]);
  });

  it('holds no module the generator no longer makes', () => {
    expect(strayValidatorFiles(root, files)).toEqual([]);
  });

  const shipped = SHIPPED.map((s) => [s.module, s.schema] as const);

  it.each(shipped)('serve %s without compiling it', (_module, schema) => {
    expect(PRECOMPILED[schemaKey(schema)]).toBeDefined();
    expect(validatorFor(schema)).toBe(PRECOMPILED[schemaKey(schema)]());
  });

  it.each(shipped)('judge like ajv at run time: %s', (_module, schema) => {
    const ajv = new Ajv(AJV_OPTIONS);
    addFormats(ajv);
    const compiled = ajv.compile(schema);
    const precompiled = validatorFor(schema);

    for (const value of SAMPLES) {
      expect(precompiled(value)).toBe(compiled(value));
      expect(precompiled.errors ?? null).toEqual(compiled.errors ?? null);
      const described = describeError(compiled.errors, 'data');
      expect(describeError(precompiled.errors, 'data')).toEqual(described);
    }
  });

  it('compiles a schema it has no validator for on first use', () => {
    const schema = {
      type: 'object',
      properties: { n: { type: 'integer', format: 'int32' } },
      required: ['n'],
    };

    const validate = validatorFor(schema);

    expect(PRECOMPILED[schemaKey(schema)]).toBeUndefined();
    expect(validate({ n: 1 })).toBe(true);
    expect(validate({})).toBe(false);
    const described = describeError(validate.errors, 'body');
    expect(described).toEqual({ field: 'body/n', message: 'body/n is required' });
    expect(validatorFor(schema)).toBe(validate);
  });
});
