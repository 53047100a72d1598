import { formatNumber, interleave, median, percentile, ratio, summarize } from '../../bench/stats';

describe('percentile', () => {
  test.each<[string, number[], number, number]>([
    ['the only sample for any p', [7], 99, 7],
    ['the smallest sample for p = 0', [3, 1, 2], 0, 1],
    ['the largest sample for p = 100', [3, 1, 2], 100, 3],
    ['the nearest rank, never an interpolation', [10, 20, 30, 40], 50, 20],
    ['the 99th of 1..100 as 99', Array.from({ length: 100 }, (_v, i) => i + 1), 99, 99],
    ['the largest of 1..10 as the 99th', Array.from({ length: 10 }, (_v, i) => i + 1), 99, 10],
  ])('returns %s', (_label, samples, p, expected) => {
    expect(percentile(samples, p)).toBe(expected);
  });

  it('returns NaN for no samples and rejects p outside 0..100', () => {
    expect(percentile([], 50)).toBeNaN();

    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('median', () => {
  it('takes the middle sample of an odd count, whatever the order', () => {
    expect(median([5, 1, 3])).toBe(3);
  });

  it('averages the two middle samples of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('does not reorder the caller\'s array', () => {
    const samples = [3, 1, 2];

    median(samples);

    expect(samples).toEqual([3, 1, 2]);
  });
});

describe('summarize', () => {
  it('reduces samples to count, median, p99, min, max and mean', () => {
    const samples = Array.from({ length: 200 }, (_v, i) => i + 1);

    expect(summarize(samples)).toEqual({ n: 200, median: 100.5, p99: 198, min: 1, max: 200, mean: 100.5 });
  });

  it('gives NaN figures for no samples', () => {
    const s = summarize([]);

    expect(s.n).toBe(0);
    expect(s.median).toBeNaN();
    expect(s.p99).toBeNaN();
  });
});

describe('ratio and formatNumber', () => {
  it('divides subject by baseline and refuses a zero baseline', () => {
    expect(ratio(30, 10)).toBe(3);
    expect(ratio(1, 0)).toBeNaN();
  });

  test.each<[number, string]>([
    [1234.5, '1235'],
    [12.345, '12.3'],
    [0.012345, '0.0123'],
    [0, '0'],
    [Number.NaN, '–'],
  ])('formats %p as %p', (value, expected) => {
    expect(formatNumber(value)).toBe(expected);
  });
});

describe('interleave', () => {
  it('runs every step once per round and rotates which goes first', async () => {
    const calls: string[] = [];
    const step = (name: string) => async (round: number) => {
      calls.push(`${name}${round}`);
    };

    await interleave(3, [step('a'), step('b'), step('c')]);

    expect(calls).toEqual(['a0', 'b0', 'c0', 'b1', 'c1', 'a1', 'c2', 'a2', 'b2']);
  });
});
