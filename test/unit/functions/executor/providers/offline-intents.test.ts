import {
  bestFact,
  findCount,
  findExpression,
  findRemember,
  findTimeZone,
  isRecallQuestion,
  restate,
} from '../../../../../functions/executor/providers/offline-intents';

describe('findExpression', () => {
  test.each([
    ['What is (17 * 23) + 4?', '(17 * 23) + 4'],
    ['what is seventeen times twenty three plus four', '17 * 23 + 4'],
    ['What is 6 × 7?', '6 * 7'],
    ['one hundred and five divided by five', '105 / 5'],
    ['two thousand three hundred plus twelve', '2300 + 12'],
    ['twenty-one multiplied by three', '21 * 3'],
    ['what is 10 minus 4', '10 - 4'],
    ['two to the power of ten', '2 ^ 10'],
  ])('finds the arithmetic in %j', (input, expected) => {
    const expression = findExpression(input);

    expect(expression).toBe(expected);
  });

  test.each([
    ['what is ten minus four', '10 - 4'],
    ['what is twenty less three', '20 - 3'],
    ['what is twenty minus three times two', '20 - 3 * 2'],
    ['what is ten minus four plus one', '10 - 4 + 1'],
  ])('keeps a spelled-out minus as an operator in %j', (input, expected) => {
    const expression = findExpression(input);

    expect(expression).toBe(expected);
  });

  test.each(['What is the capital of France?', 'I have 3 cats', 'seventeen'])('finds nothing in %j', (input) => {
    const expression = findExpression(input);

    expect(expression).toBeUndefined();
  });
});

describe('findTimeZone', () => {
  test.each([
    ['What time is it in Asia/Tokyo?', 'Asia/Tokyo'],
    ['What is the time in America/Argentina/Buenos_Aires?', 'America/Argentina/Buenos_Aires'],
    ['What time is it in UTC?', 'UTC'],
  ])('names the zone in %j', (input, expected) => {
    const zone = findTimeZone(input);

    expect(zone).toBe(expected);
  });

  test.each(['Tell me about Asia/Tokyo', 'What time is it?'])('finds no zone in %j', (input) => {
    const zone = findTimeZone(input);

    expect(zone).toBeUndefined();
  });
});

describe('findCount', () => {
  test.each([
    ["How many words are in 'the quick brown fox'?", { text: 'the quick brown fox', unit: 'words' }],
    ['Count the characters in "hello world"', { text: 'hello world', unit: 'characters' }],
    ['How many letters are in “teal”?', { text: 'teal', unit: 'characters' }],
    ["How many words are in 'don't stop'?", { text: "don't stop", unit: 'words' }],
  ])('reads the text and unit of %j', (input, expected) => {
    const count = findCount(input);

    expect(count).toEqual(expected);
  });

  test.each(['How many words are in the sentence?', '"hello" is a word', 'How many cats are in "the house"?'])(
    'finds no counting request in %j',
    (input) => {
      const count = findCount(input);

      expect(count).toBeUndefined();
    },
  );
});

describe('findRemember', () => {
  test.each([
    ['Remember that my favourite colour is teal.', 'my favourite colour is teal'],
    ['please remember I live in Lyon!', 'I live in Lyon'],
    ['  REMEMBER that the door code is 1234  ', 'the door code is 1234'],
  ])('extracts the fact from %j', (input, expected) => {
    const fact = findRemember(input);

    expect(fact).toBe(expected);
  });

  it('ignores a question that only mentions remembering', () => {
    const fact = findRemember('Do you remember me?');

    expect(fact).toBeUndefined();
  });
});

describe('isRecallQuestion', () => {
  test.each([
    ['What is my favourite colour?', true],
    ['Where do I live?', true],
    ['What is the capital of France?', false],
    ['My cat is asleep.', false],
  ])('classifies %j as %p', (input, expected) => {
    const result = isRecallQuestion(input);

    expect(result).toBe(expected);
  });
});

describe('bestFact', () => {
  const facts = ['I live in Lyon', 'my favourite colour is teal', 'my favourite food is ramen', 'I have two cats'];

  test.each([
    ['What is my favourite colour?', 'my favourite colour is teal'],
    ['Where do I live?', 'I live in Lyon'],
    ['What is my favourite food?', 'my favourite food is ramen'],
    ['Which cat do I have?', 'I have two cats'],
  ])('picks the fact sharing the most content words with %j', (question, expected) => {
    const fact = bestFact(question, facts);

    expect(fact).toBe(expected);
  });

  it('returns undefined when no fact shares a content word', () => {
    const fact = bestFact('What is my dog called?', facts);

    expect(fact).toBeUndefined();
  });
});

describe('restate', () => {
  test.each([
    ['my favourite colour is teal', 'Your favourite colour is teal.'],
    ['I live in Lyon', 'You live in Lyon.'],
    ['I am vegetarian!', 'You are vegetarian!'],
  ])('addresses %j back to the user', (fact, expected) => {
    const sentence = restate(fact);

    expect(sentence).toBe(expected);
  });
});
