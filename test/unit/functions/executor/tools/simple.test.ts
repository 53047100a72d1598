import { BadRequestError } from '../../../../../shared/errors';
import { clock, remember, textStats } from '../../../../../functions/executor/tools/simple';

describe('clock', () => {
  const NOW = new Date('2024-01-15T12:34:56.789Z');

  test.each([
    ['UTC', '2024-01-15T12:34:56+00:00'],
    ['Asia/Tokyo', '2024-01-15T21:34:56+09:00'],
    ['America/New_York', '2024-01-15T07:34:56-05:00'],
    ['Asia/Kolkata', '2024-01-15T18:04:56+05:30'],
  ])('gives the local time and offset in %s', (timeZone, localTime) => {
    const result = clock({ timeZone }, NOW);

    expect(result).toEqual({ timeZone, localTime, utc: '2024-01-15T12:34:56.789Z' });
  });

  it('rolls the date over when the zone is already in the next day', () => {
    const now = new Date('2024-01-15T15:00:00Z');

    const result = clock({ timeZone: 'Asia/Tokyo' }, now);

    expect(result.localTime).toBe('2024-01-16T00:00:00+09:00');
  });

  it('follows daylight saving time', () => {
    const summer = new Date('2024-07-01T12:00:00Z');

    const result = clock({ timeZone: 'Europe/Paris' }, summer);

    expect(result.localTime).toBe('2024-07-01T14:00:00+02:00');
  });

  test.each(['Mars/Olympus_Mons', 'not a zone', 'Asia/Tokyo/Extra'])('rejects %j as a BadRequestError on timeZone', (timeZone) => {
    const act = () => clock({ timeZone }, NOW);

    expect(act).toThrow(BadRequestError);
    expect(act).toThrow(expect.objectContaining({ status: 400, details: { field: 'timeZone' } }));
  });
});

describe('textStats', () => {
  test.each([
    ['the quick brown fox', { words: 4, characters: 19, charactersWithoutSpaces: 16 }],
    ['', { words: 0, characters: 0, charactersWithoutSpaces: 0 }],
    ['   ', { words: 0, characters: 3, charactersWithoutSpaces: 0 }],
    ['  two\t  words\n', { words: 2, characters: 14, charactersWithoutSpaces: 8 }],
    ['👋👋 hi', { words: 2, characters: 5, charactersWithoutSpaces: 4 }],
  ])('counts words and characters of %j', (text, expected) => {
    const result = textStats({ text });

    expect(result).toEqual(expected);
  });
});

describe('remember', () => {
  it('hands back the fact without surrounding whitespace', () => {
    const result = remember({ fact: '  my cat is called Tom \n' });

    expect(result).toEqual({ remembered: 'my cat is called Tom' });
  });
});
