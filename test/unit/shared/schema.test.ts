/** Validation errors name the field and say what would have been right. */
import { assertValid } from '../../../shared/schema';

const decision = {
  type: 'object',
  properties: { decision: { enum: ['approve', 'reject'] }, note: { type: 'string' } },
  required: ['decision'],
  additionalProperties: false,
};

describe('assertValid', () => {
  it('lists the allowed values when a value is not one of them', () => {
    expect(() => assertValid(decision, { decision: 'maybe' }, 'body')).toThrow('body/decision must be one of "approve", "reject".');
  });

  it('names a missing property and an unknown one', () => {
    expect(() => assertValid(decision, {}, 'body')).toThrow('body/decision is required.');
    expect(() => assertValid(decision, { decision: 'approve', x: 1 }, 'body')).toThrow('body/x is not an allowed property.');
  });

  it('returns a valid value as it is', () => {
    const value = { decision: 'reject', note: 'no' };
    expect(assertValid(decision, value, 'body')).toBe(value);
  });
});
