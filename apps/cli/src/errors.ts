/**
 * What the CLI tells the user when a command fails: one message saying what went wrong and how to
 * fix it, and the exit code (1: the command failed; 2: it was used wrongly).
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A command used wrongly (a missing or invalid argument or option): exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}
