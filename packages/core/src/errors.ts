/** Exit codes the CLI uses: 0 ok, 1 findings or a failed check, 2 usage or bad input, 3 environment (e.g. needs root). */
export const ExitCode = {
  ok: 0,
  findings: 1,
  badInput: 2,
  environment: 3,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error a user can act on: what failed, where, and what to do. The CLI prints `message` and exits with `exitCode`. */
export class JailwrightError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;

  constructor(message: string, options: { exitCode?: ExitCodeValue; hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'JailwrightError';
    this.exitCode = options.exitCode ?? ExitCode.badInput;
    this.hint = options.hint;
  }
}
