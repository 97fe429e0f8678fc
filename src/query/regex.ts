import { RE2JS } from 're2js';

/**
 * `~` and `!~` patterns, matched by RE2 (the re2js port): time linear in the value, whatever the
 * pattern, so a stored job's `name ~ "^([a-z0-9-]+)*$x"` cannot hold a run for seconds per name.
 * Case-insensitive, unanchored (a pattern matches anywhere in the value unless it says ^ or $).
 */

/** Longer patterns are refused: a pattern is written by hand, and RE2's program grows with it. */
export const MAX_PATTERN_LENGTH = 1000;

/** Tests a value against a compiled pattern. */
export type PatternTest = (text: string) => boolean;

/** Why a pattern is refused, with the 0-based offset in the pattern of what is wrong. */
export interface PatternProblem {
  problem: string;
  offset: number;
}

/**
 * Constructs that a backtracking engine has and RE2 does not: named here so the error says what
 * to write instead, rather than RE2's "invalid escape sequence".
 */
const UNSUPPORTED: readonly { pattern: RegExp; name: string }[] = [
  { pattern: /\(\?<?[=!]/y, name: 'lookaround' },
  { pattern: /\\[1-9]|\\k</y, name: 'backreference' },
];

/** Compiles a pattern, or says what in it cannot be matched in linear time. */
export function compilePattern(pattern: string): PatternTest | PatternProblem {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { problem: `regular expression is ${pattern.length} characters long; at most ${MAX_PATTERN_LENGTH} are allowed`, offset: 0 };
  }
  const unsupported = findUnsupported(pattern);
  if (unsupported) return unsupported;
  try {
    const compiled = RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
    return (text) => compiled.test(text);
  } catch (error) {
    const { error: problem, input } = error as { error?: string; input?: string };
    if (problem === undefined) throw error;
    const at = input ? pattern.indexOf(input) : -1;
    return { problem: `invalid regular expression: ${problem}${input ? ` at ${JSON.stringify(input)}` : ''}`, offset: Math.max(0, at) };
  }
}

function findUnsupported(pattern: string): PatternProblem | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i];
    if (char === '\\' && !(!inClass && /[1-9k]/.test(pattern[i + 1] ?? ''))) {
      i += 1; // an escaped character: `\(` is no group, `\\1` no backreference
      continue;
    }
    // Inside [...] a ( or \1 is no construct; RE2 itself refuses what is wrong there.
    if (inClass) {
      if (char === ']') inClass = false;
      continue;
    }
    if (char === '[') {
      inClass = true;
      if (pattern[i + 1] === '^') i += 1;
      if (pattern[i + 1] === ']') i += 1; // `[]a]`: a leading ] is a member
      continue;
    }
    for (const { pattern: construct, name } of UNSUPPORTED) {
      construct.lastIndex = i;
      const match = construct.exec(pattern);
      if (match) {
        return {
          problem: `unsupported in regular expressions: ${name} ${JSON.stringify(match[0])} (matching is linear-time RE2: no lookaround or backreferences)`,
          offset: i,
        };
      }
    }
  }
  return undefined;
}
