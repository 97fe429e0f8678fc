import { ValidationError } from '../src/errors';

/**
 * Turns a line typed at the `cloudsweep shell` prompt (or a step of the demo) into the argv that
 * `run()` takes, so that every command of the seed document works exactly as written there.
 *
 * Words split the way a POSIX shell splits them: single quotes keep everything, double quotes keep
 * everything but `\"`, `\\`, `\$` and `` \` ``, a backslash outside quotes escapes the next
 * character. A `search` line is different: its query is the rest of the line, taken as ONE
 * argument, so `|`, `<--`, `>`, brackets and quotes inside it reach the query parser untouched.
 */

export interface Word {
  /** The word after quote removal. */
  text: string;
  /** Offsets of the word in the line as typed (end exclusive). */
  start: number;
  end: number;
  /** Some part of it was quoted or escaped. */
  quoted: boolean;
}

/** Splits a line into shell words; an unterminated quote is a ValidationError naming its column. */
export function splitWords(line: string): Word[] {
  const words: Word[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && isBlank(line[i])) i++;
    if (i >= line.length) break;
    const start = i;
    let text = '';
    let quoted = false;
    while (i < line.length && !isBlank(line[i])) {
      const c = line[i] as string;
      if (c === "'") {
        const close = line.indexOf("'", i + 1);
        if (close < 0) throw unterminated(line, i, 'single');
        text += line.slice(i + 1, close);
        quoted = true;
        i = close + 1;
      } else if (c === '"') {
        const opened = i;
        i++;
        while (i < line.length && line[i] !== '"') {
          if (line[i] === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1] as string)) i++;
          text += line[i];
          i++;
        }
        if (i >= line.length) throw unterminated(line, opened, 'double');
        quoted = true;
        i++;
      } else if (c === '\\' && i + 1 < line.length) {
        text += line[i + 1];
        quoted = true;
        i += 2;
      } else {
        text += c;
        i++;
      }
    }
    words.push({ text, start, end: i, quoted });
  }
  return words;
}

/**
 * Tells whether an option of a command takes a value (`--now ISO`), so that the options before a
 * search query are told apart from the query itself. `verb` is undefined for global options.
 */
export type OptionTakesValue = (verb: string | undefined, option: string) => boolean;

export interface ParsedLine {
  argv: string[];
  /** The line held only blanks or a `#` comment. */
  empty: boolean;
}

/** The argv of one shell line; `search` lines keep their query as a single argument. */
export function lineToArgv(line: string, takesValue: OptionTakesValue): ParsedLine {
  const typed = stripPrompt(line);
  if (typed.trim() === '' || typed.trimStart().startsWith('#')) return { argv: [], empty: true };
  const words = splitWords(typed);
  // Global options may come before the verb.
  let at = skipOptions(words, 0, undefined, takesValue);
  const verb = words[at];
  if (!verb || verb.text !== 'search' || verb.quoted) return { argv: words.map((word) => word.text), empty: false };
  at = skipOptions(words, at + 1, 'search', takesValue);
  const argv = words.slice(0, at).map((word) => word.text);
  const rest = words.slice(at);
  const first = rest[0];
  if (!first) return { argv, empty: false };
  // `search 'is(user) | count'` as a shell would pass it: one quoted word is the query itself.
  if (rest.length === 1 && first.quoted) return { argv: [...argv, first.text], empty: false };
  return { argv: [...argv, typed.slice(first.start).trim()], empty: false };
}

/** The seed document shows commands after a `> ` prompt; pasting them with it works too. */
export function stripPrompt(line: string): string {
  return line.replace(/^\s*>\s+/, '');
}

function skipOptions(words: Word[], from: number, verb: string | undefined, takesValue: OptionTakesValue): number {
  let at = from;
  while (at < words.length) {
    const word = words[at] as Word;
    if (!word.text.startsWith('-') || word.text === '-' || word.text === '--') break;
    const [flag, inlineValue] = splitInlineValue(word.text);
    at += 1;
    if (inlineValue === undefined && takesValue(verb, flag)) at += 1;
  }
  return Math.min(at, words.length);
}

function splitInlineValue(text: string): [string, string | undefined] {
  const eq = text.indexOf('=');
  return text.startsWith('--') && eq > 0 ? [text.slice(0, eq), text.slice(eq + 1)] : [text, undefined];
}

function isBlank(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

function unterminated(line: string, at: number, kind: 'single' | 'double'): ValidationError {
  return new ValidationError(
    `unterminated ${kind} quote at column ${at + 1}:\n  ${line}\n  ${' '.repeat(at)}^`,
  );
}
