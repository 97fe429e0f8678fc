import type { Command } from 'commander';
import { ValidationError } from '../src/errors';
import type { Query } from '../src/query/ast';
import { CliContext, globalOptions, RegisterVerb } from './context';
import type { Runtime } from './runtime';

const EXAMPLES = `
Examples:
  $ cloudsweep search 'is(access_key) and last_access > 90days <-- is(user) | count name'
  $ cloudsweep search 'is(user) and account=prod | list name, age, /metadata.protected'
  $ cloudsweep search --snapshot inventory.json 'is(access_key) and ctime < -1yr | head 10'
  $ cloudsweep search 'is(access_key) and last_access > 90days and /ancestors.user.reported.name not in [jenkins, ci] | clean'

  $ cloudsweep search 'is(access_key) and /ancestors.user.reported.name = ci | unclean "ci rotates its own keys"'
  $ cloudsweep search 'is(access_key) and last_access > 90days | list user_name, owner, account'

--explain prints the query as read and what each part scanned and matched, without running its commands.
Commands after |: count [path], list [paths] [--csv|--json], head [N], tail [N], sort, limit,
predecessors, successors, ancestors, descendants [--with-origin] [kind], aggregate, dump,
clean [reason], unclean [reason], protect [--until DATE] [--reason TEXT], unprotect. Changes are recorded in the audit with who made
them (cloudsweep audit --changes). --now moves how ages are measured, never the times stored.
The language is described in docs/search-language.md.`;

interface SearchFlags {
  now?: string;
  snapshot?: string;
  explain?: boolean;
  includeDeleted?: boolean;
  leaseWait: string;
}

/**
 * `cloudsweep search`: parse the query, load the inventory (a snapshot file, or the stored one),
 * run it, write what `clean`/`unclean`/`protect`/`unprotect` changed and record who changed it, print. The query library and the
 * snapshot reader load no AWS SDK, so a snapshot search starts fast.
 */
export const register: RegisterVerb = (program, context) => {
  program
    .command('search')
    .description('search the inventory: QUERY [| COMMAND ...] (the Fix Inventory search language)')
    .argument('<query...>', 'the search; words are joined with spaces, a leading "search" is accepted')
    .option('--now <iso>', 'the instant ages are measured from (default: the current time)')
    .option('--snapshot <file>', 'search this snapshot file (cloudsweep export) instead of the stored inventory; read-only')
    .option('--explain', 'print the query as read (canonical form), and per part the kinds and nodes it scanned and matched; commands are not run, nothing is written')
    .option('--include-deleted', 'also search the keys cleanup deleted (left out until the next collect drops them)')
    .option('--lease-wait <duration>', 'clean, unprotect: while a workflow run holds the lease, wait this long for it before refusing', '10s')
    .addHelpText('after', EXAMPLES)
    .action(async (words: string[], flags: SearchFlags, command: Command) => {
      const output = globalOptions(command).output as string;
      const { parse } = await import('../src/query/parser');
      const now = await instant(flags.now);
      const { isMutating } = await import('../src/query/ast');
      const query = parse(words.join(' '));
      const { executeSearch, explainSearch } = await import('../src/query/execute');
      const { render } = await import('../src/query/output');
      const explain = flags.explain === true;
      let result;
      if (flags.snapshot !== undefined) {
        if (isMutating(query) && !explain) {
          const { MUTATING_COMMANDS } = await import('../src/query/ast');
          const name = query.commands.find((c) => MUTATING_COMMANDS.includes(c.name))?.name;
          throw new ValidationError(`${name} changes the inventory, and a snapshot (--snapshot ${flags.snapshot}) is read-only: run the search without --snapshot to change the stored inventory`);
        }
        const { readSnapshotFile } = await import('../src/inventory/snapshot');
        const { withoutDeletedKeys } = await import('../src/inventory/cleaned');
        const read = (await readSnapshotFile(flags.snapshot)).graph;
        const graph = flags.includeDeleted ? read : withoutDeletedKeys(read).graph;
        result = explain ? { output: explainSearch(query, { graph, now }) } : executeSearch(query, { graph, now });
      } else {
        result = await searchStoredInventory(command, context, query, now, { explain, includeDeleted: flags.includeDeleted === true, leaseWait: await leaseWaitMs(flags.leaseWait) });
      }
      if (output === 'csv' && result.output.type !== 'list') {
        throw new ValidationError('--output csv applies to list results only; use --output text or json');
      }
      const printed = output === 'csv' && result.output.type === 'list' ? render({ ...result.output, format: 'csv' }) : render(result.output, output === 'json' ? 'json' : 'text', context.columns);
      if (printed !== '') context.out(printed);
    });
};

/**
 * Loads every account's inventory from DynamoDB, runs the search, records its changes in the audit
 * with the caller's identity and writes them back (explained: writes nothing). `clean` and
 * `unprotect` do so holding the workflow lease: never in the middle of a run.
 */
async function searchStoredInventory(command: Command, context: CliContext, query: Query, now: Date, options: { explain: boolean; includeDeleted: boolean; leaseWait: number }) {
  const { resolveRuntime, explainAwsError, changeLog, callerOf } = await import('./runtime');
  const { createInventoryStore } = await import('../src/inventory/dynamo-store');
  const { executeSearch, explainSearch, readsOwner } = await import('../src/query/execute');
  const { RuntimeError } = await import('../src/errors');
  const runtime = await resolveRuntime(command, context);
  const table = runtime.names.inventoryTable;
  const store = createInventoryStore(runtime.aws, table);
  const storeError = (error: unknown, doing: string) => explainAwsError(error, doing, { table });
  const search = async () => {
    const loaded = await store.loadGraph().catch((error: unknown) => {
      throw storeError(error, 'loading the inventory');
    });
    // An empty answer from an empty table looks like "nothing matches": say which it is.
    if (loaded.graph.size === 0) context.err(`warning: the inventory was never collected (table ${table} holds no account); collect first: cloudsweep workflow run collect`);
    // The keys cleanup deleted are gone from IAM: left out, unless asked for, until a collect drops them.
    const { withoutDeletedKeys } = await import('../src/inventory/cleaned');
    const graph = options.includeDeleted ? loaded.graph : withoutDeletedKeys(loaded.graph).graph;
    if (options.explain) return { output: explainSearch(query, { graph, now }) };
    // `now` measures ages; what is stored carries the real time.
    const owners = readsOwner(query) ? await ownerSettings(runtime) : undefined;
    // An exemption names who set it: the same identity the audit's change record names.
    const protectedBy = query.commands.some((c) => c.name === 'protect') ? await callerOf(runtime) : undefined;
    const result = executeSearch(query, { graph, now, recordedAt: new Date(), ...(owners ? { owners } : {}), ...(protectedBy ? { protectedBy } : {}) });
    if (result.updates.length > 0) {
      // On the record first: a caller who may not write the audit (the table's resource policy)
      // changes nothing, and no flag changes through the CLI without its author.
      const { flagChangeRecords } = await import('../src/cleanup/audit');
      const log = await changeLog(runtime);
      await log.record((author) => flagChangeRecords(result.changes, author)).catch((error: unknown) => {
        throw explainAwsError(error, `recording the change in the audit table ${runtime.names.auditTable} (nothing was changed)`);
      });
      await store.updateNodes(result.updates).catch((error: unknown) => {
        throw storeError(error, 'writing the changes to the inventory (the audit already records them as made)');
      });
    }
    return result;
  };
  const { needsLease } = await import('../src/query/ast');
  if (options.explain || !needsLease(query)) return search();
  const { DynamoLease, underLease } = await import('../src/workflow/lease');
  const { hostname } = await import('node:os');
  const lease = new DynamoLease(runtime.aws, runtime.names.runsTable);
  return underLease({ lease, what: 'search', where: `${hostname()}:${process.pid}`, waitMs: options.leaseWait }, search).catch((error: unknown) => {
    // LeaseBusyError (a run holds it) is a RuntimeError and says so itself.
    if (error instanceof RuntimeError) throw error;
    throw explainAwsError(error, `taking the workflow lease (table ${runtime.names.runsTable})`);
  });
}

/** fix.worker's notify settings, read only for a search that lists or tests `owner`. */
async function ownerSettings(runtime: Runtime) {
  const { createConfigStore } = await import('../src/config/store');
  const { explainAwsError } = await import('./runtime');
  const stored = await createConfigStore(runtime.aws, runtime.names.configTable).read().catch((error: unknown) => {
    throw explainAwsError(error, 'reading fix.worker for the owner settings');
  });
  return stored.config.notify;
}

async function leaseWaitMs(text: string): Promise<number> {
  const { parseDuration } = await import('../src/query/durations');
  const ms = parseDuration(text);
  if (ms === undefined || ms < 0) throw new ValidationError(`invalid --lease-wait ${JSON.stringify(text)}: give a duration such as 10s or 2m`);
  return ms;
}

async function instant(text: string | undefined): Promise<Date> {
  if (text === undefined) return new Date();
  const { parseDatetime } = await import('../src/query/durations');
  const at = parseDatetime(text);
  if (at === undefined) {
    throw new ValidationError(`--now: expected an ISO 8601 date or date-time such as 2026-11-23T10:00:00Z, got ${JSON.stringify(text)}`);
  }
  return new Date(at);
}
