/** `batchgate keys …`: LiteLLM's virtual key routes (`/key/generate`, `/key/list`, `/key/delete`), master key only. */
import type { Command } from 'commander';
import { clientFor, note, printJson, runCommand, say, withGatewayFlags, type GatewayFlags } from '../command-kit.js';
import { EXIT } from '../exit-codes.js';
import { commaList, nonNegativeNumber } from '../options.js';

interface CreateFlags extends GatewayFlags {
  readonly alias?: string;
  readonly models?: string[];
  readonly maxBudget?: number;
  readonly team?: string;
  readonly duration?: string;
}

interface KeyView {
  readonly token: string;
  readonly key_alias: string | null;
  readonly team_id: string | null;
  readonly models: readonly string[];
  readonly spend: number;
  readonly max_budget: number | null;
  readonly expires: string | null;
}

interface KeyPage {
  readonly keys: KeyView[];
  readonly total_count: number;
  readonly total_pages: number;
}

/** `/key/list` pages are at most 100 keys; the command reads them all. */
const PAGE_SIZE = 100;

const keyRow = (k: KeyView): string =>
  [
    k.token.slice(0, 16).padEnd(17),
    (k.key_alias ?? '-').padEnd(20),
    (k.team_id ?? '-').padEnd(16),
    (k.models.length === 0 ? 'all' : k.models.join(',')).padEnd(24),
    `${k.spend}${k.max_budget === null ? '' : `/${k.max_budget}`}`.padEnd(12),
    k.expires ?? 'never',
  ].join(' ');

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage virtual keys (needs the master key as --api-key)');

  withGatewayFlags(
    keys
      .command('create')
      .description('generate a virtual key; it is shown once')
      .option('--alias <alias>', 'key_alias')
      .option('--models <a,b>', 'model groups the key may use (default all)', commaList)
      .option('--max-budget <usd>', 'spend limit in USD', nonNegativeNumber)
      .option('--team <team-id>', 'team the key belongs to')
      .option('--duration <duration>', 'lifetime such as 30d, 12h or 1mo (default: never expires)'),
  ).action(async (flags: CreateFlags) =>
    runCommand(async () => {
      const created = await clientFor(flags).json<{ key: string; token: string; key_alias: string | null }>('create key', 'POST', '/key/generate', {
        body: {
          ...(flags.alias === undefined ? {} : { key_alias: flags.alias }),
          ...(flags.models === undefined ? {} : { models: flags.models }),
          ...(flags.maxBudget === undefined ? {} : { max_budget: flags.maxBudget }),
          ...(flags.team === undefined ? {} : { team_id: flags.team }),
          ...(flags.duration === undefined ? {} : { duration: flags.duration }),
        },
      });
      if (flags.json === true) printJson(created);
      else {
        say(created.key);
        note(`created key ${created.key_alias ?? created.token.slice(0, 16)} (shown once: store it now)`);
      }
      return EXIT.ok;
    }),
  );

  withGatewayFlags(keys.command('list').description('list virtual keys (their hashed tokens, never the keys)')).action(async (flags: GatewayFlags) =>
    runCommand(async () => {
      const client = clientFor(flags);
      const all: KeyView[] = [];
      for (let page = 1; ; page += 1) {
        const answer = await client.json<KeyPage>('list keys', 'GET', '/key/list', { query: { page, size: PAGE_SIZE, return_full_object: 'true' } });
        all.push(...answer.keys);
        if (page >= answer.total_pages || answer.keys.length === 0) break;
      }
      if (flags.json === true) printJson({ keys: all, total_count: all.length });
      else {
        say(['token'.padEnd(17), 'alias'.padEnd(20), 'team'.padEnd(16), 'models'.padEnd(24), 'spend/max'.padEnd(12), 'expires'].join(' '));
        for (const k of all) say(keyRow(k));
      }
      return EXIT.ok;
    }),
  );

  withGatewayFlags(
    keys.command('delete').description('delete virtual keys, by key or by token (hash)').argument('<key...>', 'keys or tokens'),
  ).action(async (refs: string[], flags: GatewayFlags) =>
    runCommand(async () => {
      const deleted = await clientFor(flags).json<{ deleted_keys: string[] }>('delete keys', 'POST', '/key/delete', { body: { keys: refs } });
      if (flags.json === true) printJson(deleted);
      else say(`deleted ${deleted.deleted_keys.length} key(s)`);
      return EXIT.ok;
    }),
  );
}
