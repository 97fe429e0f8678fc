import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeError } from '../errors';
import type { EditText } from './edit';

/** The user's editor: VISUAL, else EDITOR, else vi (what git and crontab do). */
export function editorCommand(env: NodeJS.ProcessEnv): string {
  return env.VISUAL || env.EDITOR || 'vi';
}

/**
 * Edits text in the user's editor through a temporary `.yaml` file. The command runs in a shell so
 * `EDITOR="code --wait"` works; the file name is passed as an argument, never spliced into it.
 */
export function editInEditor(env: NodeJS.ProcessEnv, fileName = 'fix.worker.yaml'): EditText {
  return async (text) => {
    const dir = await mkdtemp(join(tmpdir(), 'cloudsweep-'));
    const file = join(dir, fileName);
    try {
      await writeFile(file, text, 'utf8');
      const command = editorCommand(env);
      const status = await new Promise<number | null>((resolve, reject) => {
        const child = spawn('sh', ['-c', `${command} "$1"`, 'sh', file], { stdio: 'inherit', env });
        child.on('error', reject);
        child.on('exit', (code) => resolve(code));
      });
      if (status !== 0) throw new RuntimeError(`the editor (${command}) exited with status ${String(status)}; nothing was saved`);
      return await readFile(file, 'utf8');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}
