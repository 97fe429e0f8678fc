import { ValidationError } from '../errors';

/**
 * `jobs add --schedule`: a classic five-field cron line (`0 * * * *`, as Fix Inventory takes), or
 * an EventBridge Scheduler expression (`rate(1 hour)`, `cron(0 * * * ? *)`). Either is checked
 * here and turned into the Scheduler expression the deployed stack uses.
 */
export interface JobSchedule {
  /** As the user wrote it, whitespace normalised: what `jobs list` shows. */
  expression: string;
  /** The same schedule for EventBridge Scheduler. */
  scheduler: string;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 7, names: DAYS },
];

const ALIASES: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

const HELP = 'use five cron fields "MIN HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK" (e.g. "0 * * * *"), @hourly/@daily/@weekly/@monthly, rate(N minutes|hours|days) or cron(...) as EventBridge Scheduler takes it';

export function parseSchedule(text: string): JobSchedule {
  const expression = text.trim().replace(/\s+/g, ' ');
  const fail = (why: string): never => {
    throw new ValidationError(`invalid --schedule ${JSON.stringify(text)}: ${why}; ${HELP}`);
  };
  if (expression === '') fail('it is empty');
  const rate = /^rate\((.*)\)$/.exec(expression);
  if (rate) return { expression, scheduler: `rate(${checkRate(rate[1] ?? '', fail)})` };
  const awsCron = /^cron\((.*)\)$/.exec(expression);
  if (awsCron) return { expression, scheduler: `cron(${checkAwsCron(awsCron[1] ?? '', fail)})` };
  const classic = ALIASES[expression.toLowerCase()] ?? expression;
  return { expression, scheduler: `cron(${classicToScheduler(classic, fail)})` };
}

function checkRate(body: string, fail: (why: string) => never): string {
  const match = /^\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*$/.exec(body);
  if (!match) return fail('a rate is "rate(N minutes|hours|days)"');
  const value = Number(match[1]);
  if (value < 1) return fail('a rate must be at least 1');
  const unit = (match[2] ?? 'minutes').replace(/s$/, '');
  return `${value} ${value === 1 ? unit : `${unit}s`}`;
}

function checkAwsCron(body: string, fail: (why: string) => never): string {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) return fail(`cron(...) takes six fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`);
  const [minute, hour, dom, , dow] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) return fail('in cron(...) exactly one of day-of-month and day-of-week must be "?"');
  for (const [index, field] of [minute, hour].entries()) {
    const spec = FIELDS[index];
    if (spec) expand(field, spec, fail);
  }
  return fields.join(' ');
}

/** Five classic fields to Scheduler's six: `?` in one day field, Sunday = 1, a year field. */
function classicToScheduler(expression: string, fail: (why: string) => never): string {
  const fields = expression.split(' ');
  if (fields.length !== 5) return fail(`expected 5 fields, got ${fields.length}`);
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const specs = FIELDS as [FieldSpec, FieldSpec, FieldSpec, FieldSpec, FieldSpec];
  expand(minute, specs[0], fail);
  expand(hour, specs[1], fail);
  expand(dom, specs[2], fail);
  expand(month, specs[3], fail);
  const days = expand(dow, specs[4], fail);
  const domAny = dom === '*';
  const dowAny = dow === '*';
  if (!domAny && !dowAny) {
    return fail('a day of month and a day of week together are not supported (EventBridge Scheduler takes one of them)');
  }
  if (dowAny) return `${minute} ${hour} ${dom} ${month} ? *`;
  // Classic cron counts days of week from 0 or 7 = Sunday; Scheduler from 1 = Sunday.
  const awsDays = [...new Set([...days].map((day) => (day % 7) + 1))].sort((a, b) => a - b);
  return `${minute} ${hour} ? ${month} ${awsDays.join(',')} *`;
}

/** The values a cron field selects; rejects what is out of range, naming the field. */
function expand(field: string, spec: FieldSpec, fail: (why: string) => never): Set<number> {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const match = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(part);
    if (!match) return fail(`the ${spec.name} field has "${part}"`);
    const [, range = '', stepText] = match;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) return fail(`the ${spec.name} field has a step of 0`);
    let from = spec.min;
    let to = spec.max;
    if (range !== '*') {
      const [first = '', last] = range.split('-');
      from = value(first, spec, fail);
      to = last === undefined ? (stepText === undefined ? from : spec.max) : value(last, spec, fail);
      if (to < from) return fail(`the ${spec.name} field has the backwards range "${range}"`);
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

function value(text: string, spec: FieldSpec, fail: (why: string) => never): number {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return spec.names === MONTHS ? named + 1 : named;
  if (!/^\d+$/.test(text)) return fail(`the ${spec.name} field has "${text}"`);
  const n = Number(text);
  if (n < spec.min || n > spec.max) return fail(`the ${spec.name} field has ${n}, outside ${spec.min}-${spec.max}`);
  return n;
}
