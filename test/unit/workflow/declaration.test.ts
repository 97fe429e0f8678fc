import { stepsOf } from '../../../src/workflow/declaration';

describe('workflow declaration', () => {
  it('runs every event in order for collect_and_cleanup', () => {
    expect(stepsOf('collect_and_cleanup').map((s) => s.event)).toEqual([
      'pre_collect', 'collect', 'post_collect', 'pre_cleanup_plan', 'cleanup_plan', 'post_cleanup_plan',
      'pre_cleanup', 'cleanup', 'post_cleanup',
    ]);
  });

  it('stops collect after post_collect', () => {
    expect(stepsOf('collect').map((s) => s.event)).toEqual(['pre_collect', 'collect', 'post_collect']);
  });

  it('runs the last six events for cleanup, plan included', () => {
    const steps = stepsOf('cleanup');
    expect(steps.map((s) => s.event)[0]).toBe('pre_cleanup_plan');
    expect(steps).toHaveLength(6);
    expect(steps.filter((s) => s.action).map((s) => s.action)).toEqual(['plan', 'cleanup']);
  });
});
