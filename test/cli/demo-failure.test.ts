import { runDemo } from '../../cli/demo-run';
import type { CliContext } from '../../cli/context';
import { Emulator, startEmulator } from '../../src/emulator/moto';

describe('cloudsweep demo when a step fails', () => {
  it('stops at the failing step, exits with its code and stops the emulator', async () => {
    const lines: string[] = [];
    const errors: string[] = [];
    const context: CliContext = { out: (t) => void lines.push(t), err: (t) => void errors.push(t), env: { ...process.env }, isTTY: false, color: false };
    let started: Emulator | undefined;
    const code = await runDemo({
      context,
      steps: [
        { narration: 'a step that works', command: 'init' },
        { narration: 'a search naming a kind that does not exist', command: 'search is(no_such_kind) | count' },
        { narration: 'never reached', command: 'config get fix.worker' },
      ],
      start: async (options) => (started = await startEmulator(options)),
    });
    expect(code).toBe(2);
    expect(lines).toContain('> search is(no_such_kind) | count');
    expect(lines).not.toContain('> config get fix.worker');
    expect(errors.join('\n')).toMatch(/demo step 2 failed \(exit 2\): search is\(no_such_kind\) \| count/);
    await expect(fetch(`${started?.endpoint}/_cloudsweep/health`)).rejects.toThrow();
  });
});
