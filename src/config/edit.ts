import { ValidationError } from '../errors';
import { FIX_WORKER } from './fix-worker';
import type { ConfigStore, StoredConfig } from './store';
import { parseFixWorkerYaml, renderFixWorkerYaml } from './yaml';

/** Lets the user change a text: resolves to the text as they saved it. */
export type EditText = (text: string) => Promise<string>;

/** Saved: the config as stored now, and as it was read before the edit (for the audit's change record). */
export type EditOutcome = { saved: true; stored: StoredConfig; previous: StoredConfig } | { saved: false; reason: 'unchanged' };

const ERROR_MARK = '# !! ';

/**
 * `config edit fix.worker`: the stored YAML, as the user last saved it, goes to the editor; an
 * invalid result comes back to the editor with the errors on top, and is never saved. A valid one
 * is saved as written, comments included, even when only they changed. Leaving the editor without
 * a change (the original or the rejected text untouched) ends the edit with nothing saved.
 */
export async function editFixWorkerConfig(store: ConfigStore, edit: EditText): Promise<EditOutcome> {
  const current = await store.read();
  const original = renderFixWorkerYaml(current.config, current.yaml);
  let shown = original;
  for (;;) {
    const edited = withoutErrorNotes(await edit(shown));
    if (edited.trimEnd() === original.trimEnd()) return { saved: false, reason: 'unchanged' };
    if (shown !== original && edited.trimEnd() === withoutErrorNotes(shown).trimEnd()) {
      throw new ValidationError(`${FIX_WORKER} was left invalid; nothing was saved`);
    }
    let config;
    try {
      config = parseFixWorkerYaml(edited, FIX_WORKER);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      // Parsed again with the notes' height, so line numbers match the text the user will see.
      const noteLines = error.message.split('\n').length + 2;
      shown = withErrorNotes(edited, messageAt(edited, noteLines) ?? error.message);
      continue;
    }
    return { saved: true, stored: await store.write(config, current.revision, edited), previous: current };
  }
}

function withErrorNotes(text: string, message: string): string {
  const notes = [
    `${ERROR_MARK}This edit was not saved:`,
    ...message.split('\n').map((line) => `${ERROR_MARK}${line}`),
    `${ERROR_MARK}Fix it and save, or quit without changes to discard the edit.`,
  ];
  return `${notes.join('\n')}\n${text}`;
}

function withoutErrorNotes(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.startsWith(ERROR_MARK))
    .join('\n');
}

function messageAt(text: string, lineOffset: number): string | undefined {
  try {
    parseFixWorkerYaml(text, FIX_WORKER, lineOffset);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
