/** The behavioural suite against the embedded store. */
import { EmbeddedStore } from '../../functions/memory/store/embedded';
import { describeMemoryStore } from './store-suite';

describeMemoryStore('embedded', {
  makeStore: async ({ runRetentionSeconds }) => new EmbeddedStore({ runRetentionSeconds }),
});
