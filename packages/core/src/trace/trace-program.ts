/** `jailwright trace -- CMD ARGS`: run a program on the host under strace and report what a jail for it needs. */
import { writeFile } from 'node:fs/promises';
import { ExitCode, JailwrightError } from '../errors.js';
import type { ProbeInput } from '../recipe/probe-schema.js';
import { traceToRecipe } from './recipe-fragment.js';
import { runTraced, type TraceRun } from './strace-runner.js';
import { summarizeTrace, type TraceReport } from './trace-report.js';

/** What to trace. */
export interface TraceProgramOptions {
  command: string[];
  /** Stop the program after this long (default: when it exits, or 15 s with probes). */
  durationMs?: number | undefined;
  /** Stop the program as soon as these pass. */
  probes?: readonly ProbeInput[] | undefined;
  /** Write the findings as a recipe here. */
  out?: string | undefined;
  /** Keep the raw strace log here (default: a temporary file). */
  logFile?: string | undefined;
  cwd?: string | undefined;
}

/** The run and its report. */
export interface TraceProgramResult {
  run: TraceRun;
  report: TraceReport;
}

/** Traces a program on the host, stops it itself (by PID), and reports what a jail for it needs. */
export async function traceProgram(options: TraceProgramOptions): Promise<TraceProgramResult> {
  const [file, ...args] = options.command;
  if (!file) throw new JailwrightError('trace needs a command: jailwright trace -- /usr/sbin/apache2 -DFOREGROUND', { exitCode: ExitCode.badInput });
  const run = await runTraced({ file, args, durationMs: options.durationMs, probes: options.probes, logFile: options.logFile, cwd: options.cwd });
  if (run.events.length === 0) {
    throw new JailwrightError(`strace recorded nothing for ${options.command.join(' ')}${run.output ? `:\n${run.output.trimEnd()}` : ''}`, { exitCode: ExitCode.findings });
  }
  const report = await summarizeTrace(run.events, options.command);
  if (options.out) await writeFile(options.out, traceToRecipe(report));
  return { run, report };
}
