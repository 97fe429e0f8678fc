import { ReportedFailure } from '../src/errors';
import type { RegisterVerb } from './context';

/**
 * `cloudsweep demo` (= `npm start`): the seed document walked through on an embedded AWS emulator.
 * Starts moto, seeds an organization of three accounts, then runs each step of the walkthrough
 * through the same `run()` a user's command goes through, printing `> command` and its real
 * output. Stops the emulator at the end, on failure and on Ctrl-C.
 */
export const register: RegisterVerb = (program, context) => {
  program
    .command('demo')
    .description('walk through the seed document on an embedded AWS emulator: three accounts, searches, a job, a dry run, a real cleanup')
    .option('--keep', 'leave a playground instead: the demo organization collected in the emulator, with the environment to use it from another terminal; until Ctrl-C or demo --stop')
    .option('--stop', 'stop the playground that demo --keep left running')
    .action(async (options: { keep?: boolean; stop?: boolean }) => {
      const { runDemo, stopPlayground } = await import('./demo-run');
      if (options.stop) return context.out(await stopPlayground());
      const code = await runDemo({ context, keep: options.keep === true });
      if (code !== 0) throw new ReportedFailure(code === 2 ? 2 : 1);
    });
};
