import { parse as parseYamlValue } from 'yaml';
import { ValidationError } from '../errors';
import { FIX_WORKER, FixWorkerConfig } from './fix-worker';
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
    const { path } = ruleFor(dotted);
    const section = next[path[0]];
    if (section) section[path[1]] = readValue(dotted, text);
  }
  return validateFixWorkerConfig(next);
}

function readValue(dotted: string, text: string): unknown {
  if (text === '') return '';
  try {
    return parseYamlValue(text);
  } catch (error) {
    throw new ValidationError(`${FIX_WORKER}: ${dotted}: cannot read ${JSON.stringify(text)}: ${(error as Error).message.split('\n')[0]}`);
  }
}
