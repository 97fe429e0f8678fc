/**
 * Errors a user can cause or meet. The CLI prints their message (no stack trace) and exits with
 * `exitCode`: 2 for usage, parse and validation errors, 1 for runtime failures (SPEC section 9).
 */
export class CloudsweepError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 | 130 = 1,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input: a malformed query, config, job, snapshot or command line. Nothing was changed. */
export class ValidationError extends CloudsweepError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** The environment refused: AWS answered with an error the user has to act on. */
export class RuntimeError extends CloudsweepError {
  constructor(message: string) {
    super(message, 1);
  }
}

/**
 * The command already told the user what went wrong (a failed shell line, a failed workflow run
 * with its own report): exit with this code and print nothing more.
 */
export class ReportedFailure extends CloudsweepError {
  /** 130: interrupted (Ctrl-C), as a shell reports a command ended by SIGINT. */
  constructor(exitCode: 1 | 2 | 130) {
    super(`exit ${exitCode}`, exitCode);
  }
}
