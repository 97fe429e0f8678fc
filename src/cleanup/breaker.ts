import type { FixWorkerConfig } from '../config/fix-worker';

type Limits = Pick<FixWorkerConfig['fixworker'], 'max_cleanup_per_run' | 'max_cleanup_percent'>;

/**
 * The circuit breaker (SPEC section 7 step 3): why the whole run must be refused before any write,
 * or undefined. A run that would touch more keys than a person would expect is stopped for review.
 * Each limit exceeded is named with the numbers compared.
 */
export function breakerRefusal(candidates: number, keysInScope: number, fixworker: Limits): string | undefined {
  const exceeded = exceededLimits(candidates, keysInScope, fixworker);
  if (exceeded.length === 0) return undefined;
  return exceeded.map((limit) => limit.why).join('; and ');
}

/**
 * The command that raises exactly the exceeded limits to let this run through: what a person who
 * reviewed the flagged keys and agrees types next. Undefined when nothing is exceeded.
 */
export function breakerRaiseCommand(candidates: number, keysInScope: number, fixworker: Limits): string | undefined {
  const exceeded = exceededLimits(candidates, keysInScope, fixworker);
  if (exceeded.length === 0) return undefined;
  return `cloudsweep config set fix.worker ${exceeded.map((limit) => `fixworker.${limit.key}=${limit.needed}`).join(' ')}`;
}

interface ExceededLimit {
  key: keyof Limits;
  why: string;
  /** The smallest setting that lets the run through. */
  needed: number;
}

function exceededLimits(candidates: number, keysInScope: number, fixworker: Limits): ExceededLimit[] {
  if (candidates === 0) return [];
  const exceeded: ExceededLimit[] = [];
  if (candidates > fixworker.max_cleanup_per_run) {
    exceeded.push({ key: 'max_cleanup_per_run', why: `${candidates} keys to clean exceed max_cleanup_per_run (${fixworker.max_cleanup_per_run})`, needed: candidates });
  }
  const percent = keysInScope === 0 ? 100 : (candidates * 100) / keysInScope;
  if (percent > fixworker.max_cleanup_percent) {
    exceeded.push({
      key: 'max_cleanup_percent',
      why: `${candidates} of ${keysInScope} keys in scope (${round(percent)}%) exceed max_cleanup_percent (${fixworker.max_cleanup_percent}%)`,
      needed: Math.min(100, Math.ceil(percent)),
    });
  }
  return exceeded;
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
