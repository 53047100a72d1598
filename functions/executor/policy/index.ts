/** Policy evaluation in the executor: pure evaluation, and the governor around one call. */
export * from './evaluate';
export * from './governor';
