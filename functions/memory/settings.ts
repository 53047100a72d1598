/** Settings of the memory service, declared once. */
import { parse, type SettingsSpec } from '../../shared/config';

export const memorySettings = {
  backend: {
    env: 'DDO_MEMORY_BACKEND',
    default: 'embedded',
    parse: parse.oneOf('embedded'),
    doc: 'Which store keeps memory: embedded (in-process).',
  },
  runRetentionSeconds: {
    env: 'DDO_RUN_RETENTION_SECONDS',
    default: 7 * 24 * 3600,
    parse: parse.int(60, 366 * 24 * 3600),
    doc: 'How long a finished run and its event log are kept.',
  },
} satisfies SettingsSpec;
