import { Command } from 'commander';
import { CommandSpec, commandTree, complete, completeQuery } from '../../cli/shell-completion';

function program(): CommandSpec {
  const root = new Command('cloudsweep').option('--output <format>');
  root.command('search').option('--now <iso>').option('--snapshot <file>');
  const jobs = root.command('jobs');
  jobs.command('add').option('--id <id>').option('--wait-for-event <event>').option('--schedule <cron>');
  jobs.command('list');
  const workflow = root.command('workflow');
  workflow.command('run').option('--in-process').option('--no-wait');
  workflow.command('list');
  const config = root.command('config');
  for (const sub of ['get', 'set', 'edit']) config.command(sub);
  return commandTree(root);
}

describe('tab completion at the shell prompt', () => {
  const tree = program();

  it('completes verbs and the shell words', () => {
    expect(complete('', tree)[0]).toEqual(['config', 'exit', 'help', 'jobs', 'quit', 'search', 'workflow']);
    expect(complete('jo', tree)).toEqual([['jobs '], 'jo']);
  });

  it('completes subcommands and their options', () => {
    expect(complete('workflow ', tree)).toEqual([['list', 'run'], '']);
    expect(complete('workflow run --', tree)[0]).toEqual(['--help', '--in-process', '--no-wait']);
    expect(complete('jobs add --w', tree)).toEqual([['--wait-for-event '], '--w']);
  });

  it('completes workflow names, event names and fix.worker keys', () => {
    expect(complete('workflow run c', tree)[0]).toEqual(['cleanup', 'collect', 'collect_and_cleanup']);
    expect(complete('jobs add --id x --wait-for-event post_', tree)[0]).toEqual(['post_cleanup', 'post_cleanup_plan', 'post_collect']);
    expect(complete('config edit ', tree)[0]).toEqual(['fix.worker ']);
    expect(complete('config set fix.worker fixworker.cleanup', tree)[0]).toEqual([
      'fixworker.cleanup=', 'fixworker.cleanup_dry_run=', 'fixworker.cleanup_pool_size=',
    ]);
  });

  it('completes kinds inside is(...)', () => {
    expect(complete('search is(acc', tree)).toEqual([['access_key', 'account'], 'acc']);
    expect(completeQuery(' is(user, aws_iam_')[0]).toEqual(['aws_iam_access_key', 'aws_iam_user']);
  });

  it('completes property names and pipe commands inside a search', () => {
    expect(complete('search is(access_key) and last_', tree)).toEqual([['last_access', 'last_update'], 'last_']);
    expect(complete('search is(access_key) | c', tree)[0]).toEqual(['clean', 'count']);
    expect(complete('search is(access_key) | un', tree)[0]).toEqual(['unclean', 'unprotect']);
    expect(completeQuery(' access_key_last_used.s')[0]).toEqual(['access_key_last_used.service_name']);
  });

  it('adds a space after a word completed whole, and none after one that goes on', () => {
    expect(complete('work', tree)).toEqual([['workflow '], 'work']);
    expect(complete('search is(access_key) | cou', tree)).toEqual([['count '], 'cou']);
    expect(complete('search /ancestors.u', tree)).toEqual([['/ancestors.user.'], '/ancestors.u']);
    expect(complete('config set fix.worker collector.pool', tree)).toEqual([['collector.pool_size='], 'collector.pool']);
  });

  it('completes absolute paths one segment at a time', () => {
    expect(completeQuery(' /')[0]).toEqual(['/ancestors.', '/desired.', '/metadata.', '/reported.']);
    expect(completeQuery(' /ancestors.u')[0]).toEqual(['/ancestors.user.']);
    expect(completeQuery(' /ancestors.user.reported.na')[0]).toEqual(['/ancestors.user.reported.name']);
    expect(completeQuery(' /metadata.protected_u')[0]).toEqual(['/metadata.protected_until']);
  });
});
