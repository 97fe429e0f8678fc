import type { Command } from 'commander';
import { ValidationError } from '../src/errors';
import { ACCOUNT_OVERRIDE_KEYS, AccountOverrideKey, FIX_WORKER, FixWorkerConfig } from '../src/config/fix-worker';
import { CleanupSettings, effectiveSettings } from '../src/config/account-overrides';
import { CliContext, isJson, RegisterVerb } from './context';
import type { Runtime } from './runtime';
import { printJson } from './output';
import { changeLog, resolveRuntime, withAws } from './runtime';

/**
 * `cloudsweep config get|set|edit|validate fix.worker`: the worker configuration (SPEC section 4),
 * stored in the config table with a revision; every write is validated and optimistic.
 */
export const register: RegisterVerb = (program, context) => {
  const config = program.command('config').description(`show, change or validate the ${FIX_WORKER} configuration`);

  config
    .command('get')
    .description(`print ${FIX_WORKER} as YAML (or one KEY's value)`)
    .argument('<name>', `the configuration: ${FIX_WORKER}`)
    .argument('[key]', 'a dotted key such as fixworker.cleanup')
    .action(async (name: string, key: string | undefined, _options: unknown, command: Command) => {
      checkName(name);
      const { store, runtime } = await openStore(command, context);
      const stored = await withAws(() => store.read(), `reading ${FIX_WORKER}`);
      const json = isJson(command);
      if (key !== undefined) {
        const { ruleFor } = await import('../src/config/schema');
        const value = key.startsWith('accounts.') ? accountValue(stored.config, key) : (() => {
          const { path } = ruleFor(key);
          return (stored.config as unknown as Record<string, Record<string, unknown>>)[path[0]]?.[path[1]];
        })();
        if (json) printJson(context, value);
        else context.out(typeof value === 'string' ? value : JSON.stringify(value));
        return;
      }
      const effective = effectivePerAccount(stored.config);
      if (json) return printJson(context, { name: FIX_WORKER, revision: stored.revision, config: stored.config, ...(effective ? { effective } : {}) });
      const { renderFixWorkerYaml } = await import('../src/config/yaml');
      context.out(renderFixWorkerYaml(stored.config, stored.yaml).trimEnd());
      if (effective) context.out(effectiveText(effective));
      await warnUnknownAccounts(runtime, stored.config, context);
    });

  config
    .command('set')
    .description(`change ${FIX_WORKER} keys: config set ${FIX_WORKER} fixworker.cleanup=true fixworker.cleanup_dry_run=false`)
    .argument('<name>', `the configuration: ${FIX_WORKER}`)
    .argument('<assignments...>', 'KEY=VALUE with a dotted KEY; VALUE read as YAML (true, 16, 7d, [111111111111])')
    .action(async (name: string, assignments: string[], _options: unknown, command: Command) => {
      checkName(name);
      const { applyAssignments } = await import('../src/config/assignments');
      const { renderFixWorkerYaml } = await import('../src/config/yaml');
      const { store, runtime } = await openStore(command, context);
      const current = await withAws(() => store.read(), `reading ${FIX_WORKER}`);
      const next = applyAssignments(current.config, assignments);
      const { isDeepStrictEqual } = await import('node:util');
      if (isDeepStrictEqual(next, current.config)) {
        // Setting what is already there is not a change: no new revision to review or conflict on.
        if (isJson(command)) return printJson(context, { name: FIX_WORKER, revision: current.revision, config: current.config, saved: false });
        return context.out(`${FIX_WORKER} unchanged (revision ${current.revision}): every key already has that value; nothing saved.`);
      }
      // The saved YAML keeps the user's comments: only the values set change in it.
      const yaml = renderFixWorkerYaml(next, current.yaml);
      const saved = await withAws(() => store.write(next, current.revision, yaml), `saving ${FIX_WORKER}`);
      await recordConfigChange(runtime, 'set', current.config, saved.config);
      await warnUnknownAccounts(runtime, saved.config, context);
      if (isJson(command)) return printJson(context, { name: FIX_WORKER, revision: saved.revision, config: saved.config, saved: true });
      context.out(`${FIX_WORKER} saved (revision ${saved.revision}).`);
    });

  config
    .command('edit')
    .description(`edit ${FIX_WORKER} in $VISUAL or $EDITOR (else vi); an invalid edit is shown again, never saved`)
    .argument('<name>', `the configuration: ${FIX_WORKER}`)
    .action(async (name: string, _options: unknown, command: Command) => {
      checkName(name);
      const { editFixWorkerConfig } = await import('../src/config/edit');
      const { editInEditor } = await import('../src/config/editor');
      const { store, runtime } = await openStore(command, context);
      const outcome = await withAws(() => editFixWorkerConfig(store, editInEditor(context.env)), `editing ${FIX_WORKER}`);
      if (outcome.saved) await recordConfigChange(runtime, 'edit', outcome.previous.config, outcome.stored.config);
      if (outcome.saved) await warnUnknownAccounts(runtime, outcome.stored.config, context);
      if (outcome.saved) context.out(`${FIX_WORKER} saved (revision ${outcome.stored.revision}).`);
      else context.out(`${FIX_WORKER} unchanged; nothing saved.`);
    });

  config
    .command('validate')
    .description(`check the stored ${FIX_WORKER} (config validate ${FIX_WORKER}), or a YAML file without saving it (config validate [${FIX_WORKER}] FILE)`)
    .argument('<file-or-name>', `${FIX_WORKER} (the stored config), or a YAML file`)
    .argument('[file]', 'the YAML file to check instead of the stored config')
    .action(async (first: string, second: string | undefined, _options: unknown, command: Command) => {
      if (second !== undefined) checkName(first);
      if (second === undefined && first === FIX_WORKER) return validateStored(command, context);
      const file = second ?? first;
      const { readFile } = await import('node:fs/promises');
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new ValidationError(`cannot read ${file}: ${(error as Error).message}`);
      }
      const { parseFixWorkerYaml } = await import('../src/config/yaml');
      const config = parseFixWorkerYaml(text, file);
      if (isJson(command)) return printJson(context, { file, valid: true, config });
      context.out(`${file}: valid ${FIX_WORKER} configuration.`);
    });
};

/**
 * The stored config checked as collect, plan and cleanup will read it, and the YAML it was saved
 * as (what `config edit` opens): a row written around the CLI fails here before a run meets it.
 */
async function validateStored(command: Command, context: CliContext): Promise<void> {
  const { store, runtime } = await openStore(command, context);
  const stored = await withAws(() => store.read(), `reading ${FIX_WORKER}`);
  await warnUnknownAccounts(runtime, stored.config, context);
  const source = `stored ${FIX_WORKER} (revision ${stored.revision})`;
  if (stored.yaml !== undefined) {
    const { parseFixWorkerYaml } = await import('../src/config/yaml');
    const { isDeepStrictEqual } = await import('node:util');
    const fromYaml = parseFixWorkerYaml(stored.yaml, `the YAML of ${source}`);
    if (!isDeepStrictEqual(fromYaml, stored.config)) {
      throw new ValidationError(`${source}: its saved YAML no longer says what its config holds; run config edit ${FIX_WORKER} and save to write them again as one`);
    }
  }
  if (isJson(command)) return printJson(context, { name: FIX_WORKER, revision: stored.revision, valid: true, config: stored.config });
  if (stored.revision === 0) return context.out(`${FIX_WORKER}: nothing stored; the defaults apply, and they are valid.`);
  context.out(`${source}: valid ${FIX_WORKER} configuration.`);
}

/** `config get fix.worker accounts.sandbox` (its overrides) or `accounts.sandbox.cleanup` (the effective value there). */
function accountValue(config: FixWorkerConfig, dotted: string): unknown {
  const rest = dotted.slice('accounts.'.length);
  const dot = rest.lastIndexOf('.');
  const key = dot > 0 ? rest.slice(dot + 1) : undefined;
  if (key !== undefined && (ACCOUNT_OVERRIDE_KEYS as readonly string[]).includes(key)) {
    return effectiveSettings(config, rest.slice(0, dot), rest.slice(0, dot))[key as AccountOverrideKey];
  }
  return Object.prototype.hasOwnProperty.call(config.accounts, rest) ? config.accounts[rest] : {};
}

/** Per account with overrides, and for every other account: the settings cleanup uses there. */
function effectivePerAccount(config: FixWorkerConfig): Record<string, Pick<CleanupSettings, AccountOverrideKey>> | undefined {
  if (Object.keys(config.accounts).length === 0) return undefined;
  const pick = (settings: CleanupSettings) => Object.fromEntries(ACCOUNT_OVERRIDE_KEYS.map((key) => [key, settings[key]])) as Pick<CleanupSettings, AccountOverrideKey>;
  const effective: Record<string, Pick<CleanupSettings, AccountOverrideKey>> = {};
  for (const account of Object.keys(config.accounts)) effective[account] = pick(effectiveSettings(config, account, account));
  effective['*'] = pick(effectiveSettings(config, undefined));
  return effective;
}

/** As YAML comments, so the printed config stays valid YAML. */
function effectiveText(effective: Record<string, Pick<CleanupSettings, AccountOverrideKey>>): string {
  const lines = Object.entries(effective).map(([account, settings]) =>
    `#   ${account === '*' ? 'every other account' : account}: ${ACCOUNT_OVERRIDE_KEYS.map((key) => `${key}=${String(settings[key])}`).join(' ')}`,
  );
  return ['# Effective cleanup settings per account:', ...lines].join('\n');
}

/** An override for an account the inventory does not hold is allowed (it may be collected later), and said on stderr. */
async function warnUnknownAccounts(runtime: Runtime, config: FixWorkerConfig, context: CliContext): Promise<void> {
  if (Object.keys(config.accounts).length === 0) return;
  const { createInventoryStore } = await import('../src/inventory/dynamo-store');
  const { unknownAccounts } = await import('../src/config/schema');
  let known: { id: string; name: string }[];
  try {
    const { graph } = await createInventoryStore(runtime.aws, runtime.names.inventoryTable).loadGraph();
    known = [...graph.nodes()].filter((node) => node.kind === 'aws_account').map((node) => ({ id: node.id, name: typeof node.reported.name === 'string' ? node.reported.name : node.id }));
  } catch (error) {
    context.err(`warning: could not read the inventory to check the accounts in ${FIX_WORKER}: ${(error as Error).message}`);
    return;
  }
  const unknown = unknownAccounts(config, known);
  if (unknown.length === 0) return;
  const where = known.length === 0 ? 'the inventory holds no account yet' : `accounts in the inventory: ${known.map((account) => (account.name === account.id ? account.id : `${account.name} (${account.id})`)).join(', ')}`;
  context.err(`warning: ${FIX_WORKER} accounts: ${unknown.join(', ')} ${unknown.length === 1 ? 'names no account' : 'name no account'} of the inventory (by id or name); their settings apply once such an account is collected; ${where}`);
}

function checkName(name: string): void {
  if (name !== FIX_WORKER) throw new ValidationError(`unknown configuration ${JSON.stringify(name)}; configurations: ${FIX_WORKER}`);
}

/** Who changed fix.worker, and which keys, in the audit. */
async function recordConfigChange(runtime: Runtime, action: 'set' | 'edit', before: object, after: object): Promise<void> {
  const { configChangeRecord } = await import('../src/cleanup/audit');
  const log = await changeLog(runtime);
  await withAws(() => log.record((author) => [configChangeRecord(action, FIX_WORKER, before, after, author)]), `recording the change of ${FIX_WORKER} in the audit`);
}

async function openStore(command: Command, context: CliContext) {
  const runtime = await resolveRuntime(command, context);
  const { createConfigStore } = await import('../src/config/store');
  return { store: createConfigStore(runtime.aws, runtime.names.configTable), runtime };
}

