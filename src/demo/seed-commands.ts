/**
 * The commands of the seed document (how-to-clean-up-aws-iam-access-keys), exactly as a user types
 * them at the `cloudsweep shell` prompt. The demo walks through them; the shell's tests feed them.
 */
export const SEED_COMMANDS = {
  configEdit: 'config edit fix.worker',
  countUnusedByUser: 'search is(access_key) and last_access > 90days <-- is(user) | count name',
  countUnusedByUserExcluding:
    'search is(access_key) and last_access > 90days <-- is(user) and name not in [jenkins, ci] | count name',
  flagUnused: 'search is(access_key) and last_access > 90days and /ancestors.user.reported.name not in [jenkins, ci] | clean',
  addJob:
    "jobs add --id clean_outdated_access_keys --wait-for-event post_collect 'search is(access_key) and last_access > 90days and /ancestors.user.reported.name not in [jenkins, ci] | clean'",
  runCleanup: 'workflow run cleanup',
} as const;

/** The query of the job the seed adds (the quoted argument of `jobs add`). */
export const SEED_JOB_COMMAND =
  'search is(access_key) and last_access > 90days and /ancestors.user.reported.name not in [jenkins, ci] | clean';
