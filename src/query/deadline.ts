/**
 * A time limit on a search, checked while it runs: a job's `--timeout` stops the evaluation
 * itself instead of waiting for a synchronous search to finish. Reading the clock costs more than
 * testing a node, so the clock is read once every CHECK_EVERY steps.
 */
export class SearchTimeoutError extends Error {
  constructor(readonly limitMs: number) {
    super(`the search ran past its time limit (${limitMs} ms)`);
    this.name = 'SearchTimeoutError';
  }
}

const CHECK_EVERY = 1024;

export class Deadline {
  private steps = 0;

  /**
   * @param at epoch milliseconds after which the search stops
   * @param clock epoch milliseconds now (injected: a test drives it)
   * @param limitMs the limit as given, for the error message
   */
  constructor(
    readonly at: number,
    private readonly clock: () => number = Date.now,
    private readonly limitMs = at - clock(),
  ) {}

  /** One step of work (a node tested, reached or sorted); throws SearchTimeoutError past the deadline. */
  step(): void {
    this.steps += 1;
    if (this.steps % CHECK_EVERY === 0) this.check();
  }

  /** Checks now, whatever the step count: before and between the phases of a search. */
  check(): void {
    if (this.clock() > this.at) throw new SearchTimeoutError(this.limitMs);
  }
}
