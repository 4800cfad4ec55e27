import { Command, CommanderError } from 'commander';
import { ExitCode, JailwrightError } from '../errors.js';

/** Runs the CLI, turning errors into a message on stderr and the exit code they carry. */
export async function runCommand(program: Command, argv: readonly string[]): Promise<void> {
  // A reader that stops early (`jailwright audit --json | head`) closes the pipe: stop quietly, as Unix tools do.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok);
  });
  // Subcommands copy the settings their parent had when they were added, so each needs its own override:
  // without it a usage error in a subcommand (an invalid --fail-on) exits 1, a findings code, instead of 2.
  const overrideExit = (command: Command): void => {
    command.exitOverride();
    for (const child of command.commands) overrideExit(child);
  };
  overrideExit(program);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = exitCodeFor(error);
    if (error instanceof CommanderError) return;
    if (error instanceof JailwrightError) {
      process.stderr.write(`jailwright: ${error.message}\n`);
      if (error.hint) process.stderr.write(`  ${error.hint}\n`);
      return;
    }
    process.stderr.write(`jailwright: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
}

function exitCodeFor(error: unknown): number {
  if (error instanceof JailwrightError) return error.exitCode;
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.badInput;
  return ExitCode.findings;
}
