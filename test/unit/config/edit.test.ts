import { editFixWorkerConfig } from '../../../src/config/edit';
import { ConfigConflictError, loadFixWorkerConfig } from '../../../src/config/store';
import { defaultFixWorkerConfig } from '../../../src/config/fix-worker';
import { ValidationError } from '../../../src/errors';
import { MemoryConfigStore } from '../../support/memory-stores';

/** An editor that plays back scripted edits and remembers what it was shown. */
function scriptedEditor(...edits: ((shown: string) => string)[]) {
  const shown: string[] = [];
  const edit = async (text: string) => {
    shown.push(text);
    const next = edits.shift();
    if (!next) throw new Error('the editor was opened more often than scripted');
    return next(text);
  };
  return { edit, shown };
}

describe('config edit fix.worker', () => {
  it('saves a valid edit as the next revision', async () => {
    const store = new MemoryConfigStore();
    const editor = scriptedEditor((text) => text.replace('cleanup: false', 'cleanup: true'));
    const outcome = await editFixWorkerConfig(store, editor.edit);
    expect(outcome).toMatchObject({ saved: true, stored: { revision: 1 } });
    expect((await loadFixWorkerConfig(store)).fixworker.cleanup).toBe(true);
    expect(editor.shown[0]).toContain('# Enable cleanup of resources');
  });

  it('shows an invalid edit again with the error, and saves only the corrected one', async () => {
    const store = new MemoryConfigStore();
    const editor = scriptedEditor(
      (text) => text.replace('cleanup_pool_size: 16', 'cleanup_pool_size: 0'),
      (text) => text.replace(/^ {2}cleanup_pool_size: 0$/m, '  cleanup_pool_size: 4'),
    );
    const outcome = await editFixWorkerConfig(store, editor.edit);
    expect(editor.shown[1]).toMatch(/^# !! This edit was not saved:\n# !! fix.worker is invalid:\n# !!   line 11: fixworker\.cleanup_pool_size: 0 is out of range/);
    expect(editor.shown[1]?.split('\n')[10]).toBe('  cleanup_pool_size: 0');
    expect(outcome).toMatchObject({ saved: true, stored: { revision: 1 } });
    expect((await loadFixWorkerConfig(store)).fixworker.cleanup_pool_size).toBe(4);
  });

  it('saves nothing when the user gives up on an invalid edit', async () => {
    const store = new MemoryConfigStore();
    const editor = scriptedEditor((text) => text.replace('cleanup: false', 'cleanup: maybe'), (text) => text);
    await expect(editFixWorkerConfig(store, editor.edit)).rejects.toBeInstanceOf(ValidationError);
    expect(await store.read()).toMatchObject({ revision: 0, config: defaultFixWorkerConfig() });
  });

  it('saves nothing when the text comes back untouched', async () => {
    const store = new MemoryConfigStore();
    const editor = scriptedEditor((text) => text);
    expect(await editFixWorkerConfig(store, editor.edit)).toEqual({ saved: false, reason: 'unchanged' });
    expect((await store.read()).revision).toBe(0);
  });

  it("keeps the user's comments: the next edit opens the text as they saved it, even a comment-only change", async () => {
    const store = new MemoryConfigStore();
    const seedEdit = (text: string) => text.replace('  cleanup: false', '  # turned on for the quarterly sweep (ops-1234)\n  cleanup: true # was false');
    const noteOnly = (text: string) => `${text}# reviewed by nancy\n`;
    const first = scriptedEditor(seedEdit, noteOnly);
    await editFixWorkerConfig(store, first.edit);
    expect(await editFixWorkerConfig(store, first.edit)).toMatchObject({ saved: true, stored: { revision: 2 } });

    const reopened = scriptedEditor((text) => text);
    await editFixWorkerConfig(store, reopened.edit);
    expect(reopened.shown[0]).toContain('  # turned on for the quarterly sweep (ops-1234)\n  cleanup: true # was false\n');
    expect(reopened.shown[0]).toMatch(/# reviewed by nancy\n$/);
    expect((await loadFixWorkerConfig(store)).fixworker.cleanup).toBe(true);
  });

  it('loses to a writer who saved while the editor was open', async () => {
    const store = new MemoryConfigStore();
    const editor = scriptedEditor((text) => text.replace('cleanup: false', 'cleanup: true'));
    const racing = async (text: string) => {
      const other = await store.read();
      await store.write({ ...other.config, fixworker: { ...other.config.fixworker, cleanup_pool_size: 2 } }, other.revision);
      return editor.edit(text);
    };
    await expect(editFixWorkerConfig(store, racing)).rejects.toBeInstanceOf(ConfigConflictError);
    expect((await loadFixWorkerConfig(store)).fixworker).toMatchObject({ cleanup: false, cleanup_pool_size: 2 });
  });
});
