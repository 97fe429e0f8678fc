/**
 * The cleanup process the crash test kills: runs cleanup against the emulator and SIGKILLs itself
 * right after its Nth IAM write, before that write is recorded as done, with more writes in flight.
 * Settings come from the parent in CLEANUP_CHILD (JSON).
 */
import { runCleanup } from '../../src/cleanup/run';
import { cleanupDeps, enabledConfig, WorldSettings } from './cleanup.fixture';

interface ChildSettings extends WorldSettings {
  killAfter: number;
  runId: string;
  poolSize: number;
}

const settings = JSON.parse(process.env.CLEANUP_CHILD ?? '{}') as ChildSettings;
const deps = cleanupDeps(settings, {
  afterIamWrite: (count) => {
    if (count >= settings.killAfter) process.kill(process.pid, 'SIGKILL');
  },
});
runCleanup(deps, enabledConfig({ cleanup_pool_size: settings.poolSize }), { workflow: 'cleanup', run_id: settings.runId }).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(3);
  },
);
