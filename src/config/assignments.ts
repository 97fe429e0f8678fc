import { parse as parseYamlValue } from 'yaml';
import { ValidationError } from '../errors';
import { ACCOUNT_OVERRIDE_KEYS, ACCOUNTS_SECTION, FIX_WORKER, FixWorkerConfig } from './fix-worker';
import { ruleFor, validateFixWorkerConfig } from './schema';

/**
 * `config set fix.worker fixworker.cleanup=true collector.accounts=[111111111111]`: each value is
 * read as a YAML scalar or flow list, so `true`, `16`, `7d` and `[a, b]` get their natural types.
 * Either every assignment applies or none does.
 */
export function applyAssignments(config: FixWorkerConfig, assignments: readonly string[]): FixWorkerConfig {
  if (assignments.length === 0) {
    throw new ValidationError(`config set ${FIX_WORKER}: give at least one KEY=VALUE, e.g. fixworker.cleanup=true`);
  }
  const next = structuredClone(config) as unknown as Record<string, Record<string, unknown>>;
  for (const assignment of assignments) {
    const at = assignment.indexOf('=');
    if (at <= 0) throw new ValidationError(`config set ${FIX_WORKER}: ${JSON.stringify(assignment)} is not KEY=VALUE (e.g. fixworker.cleanup=true)`);
    const dotted = assignment.slice(0, at).trim();
    const text = assignment.slice(at + 1).trim();
    if (dotted.startsWith(`${ACCOUNTS_SECTION}.`)) {
      setAccountOverride(next, dotted, readValue(dotted, text));
      continue;
    }
    const { path } = ruleFor(dotted);
    const section = next[path[0]];
    if (section) section[path[1]] = readValue(dotted, text);
  }
  return validateFixWorkerConfig(next);
}

/**
 * `accounts.sandbox.cleanup=true` sets one override, `accounts.sandbox={cleanup: true}` all of an
 * account's, and `null` removes it (the account then follows fixworker).
 */
function setAccountOverride(config: Record<string, Record<string, unknown>>, dotted: string, value: unknown): void {
  const rest = dotted.slice(ACCOUNTS_SECTION.length + 1);
  const dot = rest.lastIndexOf('.');
  const key = dot > 0 ? rest.slice(dot + 1) : undefined;
  // An account name may hold dots (accounts.team.dev={cleanup: true}); a lower-case word at the end
  // given a single value is a key, so a misspelt one is refused by name rather than read as an account.
  const single = typeof value !== 'object' || value === null;
  const isKey = key !== undefined && ((ACCOUNT_OVERRIDE_KEYS as readonly string[]).includes(key) || (single && value !== null && /^[a-z][a-z0-9_]*$/.test(key)));
  // Quotes keep an id with a leading zero whole on the command line: accounts."011111111111".cleanup=true.
  const account = (isKey ? rest.slice(0, dot) : rest).replace(/^"(.*)"$/, '$1');
  if (account === '' || account === '__proto__') throw new ValidationError(`${FIX_WORKER}: ${dotted}: name the account: accounts.ID_OR_NAME.KEY=VALUE (keys: ${ACCOUNT_OVERRIDE_KEYS.join(', ')})`);
  const accounts = { ...(config[ACCOUNTS_SECTION] ?? {}) } as Record<string, Record<string, unknown>>;
  if (isKey) {
    const overrides = { ...(Object.prototype.hasOwnProperty.call(accounts, account) ? accounts[account] : {}) };
    if (value === null) delete overrides[key];
    else overrides[key] = value;
    if (Object.keys(overrides).length === 0) delete accounts[account];
    else accounts[account] = overrides;
  } else if (value === null) {
    delete accounts[account];
  } else {
    accounts[account] = value as Record<string, unknown>;
  }
  config[ACCOUNTS_SECTION] = accounts;
}

function readValue(dotted: string, text: string): unknown {
  if (text === '') return '';
  try {
    return parseYamlValue(text);
  } catch (error) {
    throw new ValidationError(`${FIX_WORKER}: ${dotted}: cannot read ${JSON.stringify(text)}: ${(error as Error).message.split('\n')[0]}`);
  }
}
