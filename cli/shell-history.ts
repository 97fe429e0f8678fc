import { appendFileSync, readFileSync } from 'node:fs';

/** The interactive shell's history file: one command per line, oldest first. */

export const HISTORY_SIZE = 1000;

/** The last commands, newest first (as readline wants them); none when the file is unreadable. */
export function loadHistory(file: string): string[] {
  try {
    const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '');
    return lines.slice(-HISTORY_SIZE).reverse();
  } catch {
    return []; // no history yet
  }
}

export function appendHistory(file: string, line: string): void {
  try {
    appendFileSync(file, `${line.replace(/\n/g, ' ')}\n`, { mode: 0o600 });
  } catch {
    // History is a convenience: a read-only home must not break the shell.
  }
}
