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
    .action(async () => {
      const { runDemo } = await import('./demo-run');
      const code = await runDemo({ context });
      if (code !== 0) throw new ReportedFailure(code === 2 ? 2 : 1);
    });
};
