/**
 * Every migration, listed in code rather than found by scanning a folder, so the compiled
 * `dist/` runs them too. Names sort in the order they apply; never rename or edit a shipped one.
 */
import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './0001-initial.js';
import * as keysLimits from './0002-keys-limits.js';
import * as writeAhead from './0003-write-ahead.js';
import * as lifecycle from './0004-lifecycle.js';
import * as webhooks from './0005-webhooks.js';
import * as executions from './0006-executions.js';
import * as lineKeys from './0007-line-keys.js';
import * as duePollsIndex from './0008-due-polls-index.js';

const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-keys-limits': keysLimits,
  '0003-write-ahead': writeAhead,
  '0004-lifecycle': lifecycle,
  '0005-webhooks': webhooks,
  '0006-executions': executions,
  '0007-line-keys': lineKeys,
  '0008-due-polls-index': duePollsIndex,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
