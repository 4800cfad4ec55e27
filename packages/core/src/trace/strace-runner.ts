/**
 * Runs a command under `strace -f` and stops it itself, by PID (every traced process, found through
 * /proc, never by name), after a duration, when probes pass, or at a timeout.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { access, constants, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { ExitCode, JailwrightError } from '../errors.js';
import type { ProbeResult } from '../check/probe-result.js';
import type { ProbeInput } from '../recipe/probe-schema.js';
import { isRunning, processIdentity, signalProcess, waitGone, type ProcessIdentity } from '../host/processes.js';
import { parseStraceLog, TRACED_SYSCALLS, type TraceEvent } from './strace-parser.js';

/** What to trace and when to stop it. */
export interface TraceRunOptions {
  file: string;
  args: string[];
  env?: Record<string, string> | undefined;
  /** Replace the environment instead of extending this process's. */
  extendEnv?: boolean | undefined;
  cwd?: string | undefined;
  /** Where strace writes its log (default: a new temporary directory). Keep it outside any jail. */
  logFile?: string | undefined;
  /** Stop after this long. */
  durationMs?: number | undefined;
  /** Stop as soon as all of these pass. */
  probes?: readonly ProbeInput[] | undefined;
  /** The root log probes read under (the jail root for a jailed service). */
  probeRoot?: string | undefined;
  /** With probes and no duration: give up after this long (default 15 s). */
  timeoutMs?: number | undefined;
  /** Signal that asks the program to stop (default SIGTERM); SIGKILL follows after `stopTimeoutMs`. */
  stopSignal?: NodeJS.Signals | undefined;
  stopTimeoutMs?: number | undefined;
  /**
   * For a chrooted service: the jail's real path. The stop signal then goes first to the service alone
   * (the process whose root is the jail and whose parent's is not), so it shuts down as it would under
   * `stop` and the trace shows its shutdown; its launch chain ends with it.
   */
  serviceRoot?: string | undefined;
}

/** What a traced run did. */
export interface TraceRun {
  logFile: string;
  events: TraceEvent[];
  /** Why the program stopped: it exited, or the runner stopped it. */
  stoppedBy: 'exit' | 'duration' | 'probes' | 'timeout';
  /** The traced command's exit code when it exited by itself. */
  exitCode: number | undefined;
  /** The last probe results (empty without probes). */
  probeResults: ProbeResult[];
  probesPassed: boolean;
  /** What the program wrote to stdout and stderr (the last 64 KiB). */
  output: string;
  durationMs: number;
}

/** The strace binary, from the system directories only. */
export async function findStrace(): Promise<string> {
  for (const directory of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    const candidate = path.posix.join(directory, 'strace');
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  throw new JailwrightError('tracing needs strace, which is not installed in /usr/bin, /bin, /usr/sbin or /sbin', {
    exitCode: ExitCode.environment,
    hint: 'Install it: apt-get install -y strace',
  });
}

/** The strace arguments in front of the traced command. */
export function straceArguments(logFile: string): string[] {
  return ['-f', '-qq', '--pidns-translation', '-s', '4096', '-o', logFile, '-e', `trace=${TRACED_SYSCALLS.join(',')}`, '--'];
}

/** Every live descendant of a PID, from /proc/PID/task/TID/children, parents before children. */
function descendants(pid: number): ProcessIdentity[] {
  const out: ProcessIdentity[] = [];
  const queue = [pid];
  for (let current = queue.shift(); current !== undefined; current = queue.shift()) {
    for (const child of childrenOf(current)) {
      const identity = processIdentity(child);
      if (!identity) continue;
      out.push(identity);
      queue.push(child);
    }
  }
  return out;
}

function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tasks.flatMap((task) => {
    try {
      return readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
}

/** Runs a command under strace until it exits or the runner stops it; the trace is parsed when strace is done. */
export async function runTraced(options: TraceRunOptions): Promise<TraceRun> {
  const strace = await findStrace();
  const scratch = options.logFile ? undefined : await mkdtemp(path.join(os.tmpdir(), 'jailwright-trace-'));
  const logFile = options.logFile ?? path.join(scratch as string, 'strace.log');
  const started = Date.now();
  const child = execa(strace, [...straceArguments(logFile), options.file, ...options.args], {
    env: options.env,
    extendEnv: options.extendEnv ?? true,
    cwd: options.cwd,
    stdin: 'ignore',
    all: true,
    buffer: false,
    reject: false,
    cleanup: true,
  });
  let output = '';
  child.all?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-65536);
  });
  let exited = false;
  const done = child.then((result) => {
    exited = true;
    return result;
  });
  const stracePid = child.pid;
  if (stracePid === undefined) throw new JailwrightError(`could not start ${strace}`, { exitCode: ExitCode.environment });

  let stoppedBy: TraceRun['stoppedBy'] = 'exit';
  let probeResults: ProbeResult[] = [];
  let probesPassed = false;
  const probes = options.probes ?? [];
  const limit = options.durationMs ?? options.timeoutMs ?? 15_000;
  const { runProbes } = probes.length > 0 ? await import('../check/run-probe.js') : { runProbes: undefined };
  while (!exited) {
    await sleep(probes.length > 0 ? 150 : 50);
    if (exited) break;
    if (runProbes) {
      const pids = descendants(stracePid).map((identity) => identity.pid).slice(1);
      probeResults = await runProbes(probes, { root: options.probeRoot ?? '/', pids });
      if (probeResults.every((result) => result.ok)) {
        probesPassed = true;
        stoppedBy = 'probes';
        break;
      }
    }
    if (Date.now() - started >= limit) {
      stoppedBy = options.durationMs !== undefined && probes.length === 0 ? 'duration' : 'timeout';
      break;
    }
  }
  if (!exited) await stopTree(stracePid, options.stopSignal ?? 'SIGTERM', options.stopTimeoutMs ?? 5000, options.serviceRoot);
  const result = await done;
  const initialCwd = options.cwd ?? process.cwd();
  const text = await readFile(logFile, 'utf8').catch(() => '');
  if (scratch) await rm(scratch, { recursive: true, force: true });
  const exitCode = stoppedBy === 'exit' && typeof result.exitCode === 'number' ? result.exitCode : undefined;
  return { logFile, events: parseStraceLog(text, { initialCwd }), stoppedBy, exitCode, probeResults, probesPassed, output, durationMs: Date.now() - started };
}

/**
 * Stops everything strace traces, by PID: the stop signal to each process (the traced command first, so a
 * daemon shuts its workers down itself), SIGKILL to what outlives the timeout. strace exits when they are gone.
 */
async function stopTree(stracePid: number, signal: NodeJS.Signals, timeoutMs: number, serviceRoot: string | undefined): Promise<void> {
  const traced = descendants(stracePid);
  if (serviceRoot) {
    const rootOf = (pid: number) => {
      try {
        return readlinkSync(`/proc/${pid}/root`);
      } catch {
        return undefined;
      }
    };
    const inJail = new Set(traced.filter((identity) => rootOf(identity.pid) === serviceRoot).map((identity) => identity.pid));
    const services = traced.filter((identity) => inJail.has(identity.pid) && !childrenOfAny(traced, inJail).has(identity.pid));
    for (const identity of services) signalProcess(identity, signal);
    if (services.length > 0 && (await waitGone(services, timeoutMs))) {
      if (await waitGone(traced, 2000)) return;
    }
  }
  for (const identity of traced) signalProcess(identity, signal);
  if (await waitGone(traced, timeoutMs)) return;
  for (const identity of descendants(stracePid)) signalProcess(identity, 'SIGKILL');
  await waitGone(descendants(stracePid), 5000);
  const strace = processIdentity(stracePid);
  if (strace && isRunning(strace) && !(await waitGone([strace], 2000))) signalProcess(strace, 'SIGKILL');
}

/** The PIDs whose parent is one of `parents`. */
function childrenOfAny(processes: ProcessIdentity[], parents: Set<number>): Set<number> {
  const out = new Set<number>();
  for (const parent of parents) for (const child of childrenOf(parent)) if (processes.some((identity) => identity.pid === child)) out.add(child);
  return out;
}
