import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import type { LaunchFiles } from './launch-files.js';
import { type LaunchSpec, type LaunchState, type ServiceExit, readJson, writeJsonAtomically, writePidfile } from './launch-state.js';
import { childPids, isRunning, processIdentity, type ProcessIdentity } from '../host/processes.js';

/** Backoff before restart n (0-based): 100 ms, 200 ms, 400 ms ... at most 10 s. */
export function restartDelayMs(consecutiveFailures: number): number {
  return Math.min(100 * 2 ** consecutiveFailures, 10_000);
}

/** A run that lasted this long resets the backoff. */
const STABLE_MS = 10_000;

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} supervisor ${process.pid}: ${message}\n`);
}

function sameFile(left: string, right: string): boolean {
  try {
    const [a, b] = [statSync(left), statSync(right)];
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

/** Starts the launch chain with only the log as stdout and stderr and exactly the service's environment. */
/** A descriptor for execa's stdio; its types accept only the literals 3-9 there, though any descriptor works at run time. */
export function descriptor(fd: number): 3 {
  return fd as 3;
}

// The log is handed over as a descriptor, not a pipe: the service never depends on the supervisor staying alive.
function spawnLauncher(spec: LaunchSpec, logFd: number) {
  return execa(spec.command.file, spec.command.args, {
    env: spec.command.env,
    extendEnv: false,
    cwd: spec.command.cwd,
    stdin: 'ignore',
    stdout: descriptor(logFd),
    stderr: descriptor(logFd),
    reject: false,
    cleanup: false,
  });
}

/** A companion's process group: setsid made it a group leader, so its own children (a mailer it runs) go with it. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** A companion the supervisor started; `terminated` once it has been sent SIGTERM. */
interface Companion {
  name: string;
  child: ReturnType<typeof execa>;
  terminated: boolean;
}

/** Starts the companions beside a running service, their output in the service log. */
function spawnCompanions(spec: LaunchSpec): Companion[] {
  return (spec.companions ?? []).map(({ name, command }) => {
    const logFd = openSync(spec.serviceLog, 'a', 0o600);
    const child = execa(command.file, command.args, {
      env: command.env,
      extendEnv: false,
      cwd: command.cwd,
      stdin: 'ignore',
      stdout: descriptor(logFd),
      stderr: descriptor(logFd),
      reject: false,
      cleanup: false,
    });
    closeSync(logFd);
    void child.then((result) => log(`companion ${name} exited: ${result.signal ? `signal ${result.signal}` : `code ${result.exitCode}`}`));
    return { name, child, terminated: false };
  });
}

/** Sends SIGTERM to the group of each companion not sent it yet: a stop sends it first, and once is enough. */
function terminateCompanions(companions: Companion[]): void {
  for (const companion of companions) {
    if (companion.terminated || companion.child.pid === undefined) continue;
    companion.terminated = true;
    signalGroup(companion.child.pid, 'SIGTERM');
  }
}

/** Stops the companions (SIGTERM to each group unless sent already, SIGKILL after the timeout) and waits for them. */
async function stopCompanions(companions: Companion[], timeoutMs: number): Promise<void> {
  const running = companions.filter(({ child }) => child.pid !== undefined && child.exitCode === null && child.signalCode === null);
  terminateCompanions(running);
  const killer = setTimeout(() => {
    for (const { child } of running) signalGroup(child.pid!, 'SIGKILL');
  }, timeoutMs);
  await Promise.all(running.map(({ child }) => child));
  clearTimeout(killer);
}

const UNSHARE_SIGKILL_QUIRK = 'unshare: sigprocmask unblock failed';

/**
 * How the service ended. unshare --fork re-raises the signal that killed its child, except SIGKILL: util-linux
 * 2.38 then fails to unblock it, says so on stderr (into the service log) and exits 1. That line means SIGKILL.
 */
function serviceExit(code: number | undefined, signal: string | undefined, serviceLog: string): ServiceExit {
  const at = new Date().toISOString();
  if (signal) return { code: null, signal, at };
  if (code === 1) {
    let tail = '';
    try {
      const fd = openSync(serviceLog, 'r');
      try {
        const size = fstatSync(fd).size;
        const buffer = Buffer.alloc(Math.min(size, 512));
        readSync(fd, buffer, 0, buffer.length, size - buffer.length);
        tail = buffer.toString('utf8');
      } finally {
        closeSync(fd);
      }
    } catch {
      // No log: an ordinary exit 1.
    }
    if (tail.trimEnd().endsWith(`${UNSHARE_SIGKILL_QUIRK}: Invalid argument`)) return { code: null, signal: 'SIGKILL', at };
  }
  return { code: code ?? null, signal: null, at };
}

/** Finds the service under its launcher (unshare forks it), and waits until it runs the service's program. */
async function awaitService(launcher: number, executable: string, timeoutMs: number, exited: () => boolean): Promise<ProcessIdentity | undefined> {
  const deadline = Date.now() + timeoutMs;
  let service: ProcessIdentity | undefined;
  while (Date.now() < deadline && !exited()) {
    const pid = service?.pid ?? childPids(launcher)[0];
    if (pid !== undefined) {
      service ??= processIdentity(pid);
      if (service && sameFile(`/proc/${service.pid}/exe`, executable)) return service;
    }
    await sleep(5);
  }
  return undefined;
}

/**
 * Runs the service described by the spec until it is stopped or, without a restart policy, until it exits;
 * restarts it on failure with backoff. SIGTERM or SIGINT stops the service (its stop signal, SIGKILL after
 * the timeout) and then the supervisor. Returns the exit code for the supervisor process.
 */
export async function supervise(files: LaunchFiles): Promise<number> {
  const spec = readJson<LaunchSpec>(files.spec);
  if (!spec) {
    log(`no launch spec at ${files.spec}`);
    return 2;
  }
  const self = processIdentity(process.pid);
  if (!self) throw new Error('cannot read /proc/self/stat');
  const previous = readJson<LaunchState>(files.state);
  let state: LaunchState = {
    recipe: spec.recipe,
    jailRoot: spec.jailRoot,
    status: 'starting',
    supervisor: self,
    supervisorStartedAt: new Date().toISOString(),
    restarts: 0,
    lastExit: previous?.lastExit,
    landlock: spec.landlock,
    updatedAt: new Date().toISOString(),
  };
  const save = (changes: Partial<LaunchState>) => {
    state = { ...state, ...changes, updatedAt: new Date().toISOString() };
    writeJsonAtomically(files.state, state);
  };
  save({});

  let stopping = false;
  let wakeFromBackoff: (() => void) | undefined;
  let current: { launcher: ProcessIdentity | undefined; service: ProcessIdentity | undefined } = { launcher: undefined, service: undefined };
  let companions: Companion[] = [];
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping the service with ${spec.stopSignal}, SIGKILL after ${spec.stopTimeoutMs} ms`);
    save({ status: 'stopping' });
    wakeFromBackoff?.();
    // Companions first: smtpfwdd must not be handing a message to the mailer while the jail's spool goes away.
    terminateCompanions(companions);
    const target = current.service ?? current.launcher;
    if (target && isRunning(target)) process.kill(target.pid, spec.stopSignal);
    killTimer = setTimeout(() => {
      const survivors = [current.service, current.launcher].filter((process_) => process_ !== undefined && isRunning(process_));
      if (survivors.length === 0) return;
      log(`the service outlived ${spec.stopTimeoutMs} ms: SIGKILL`);
      save({ killedAfterStopTimeout: true });
      for (const process_ of survivors) if (process_) process.kill(process_.pid, 'SIGKILL');
      for (const { child } of companions) if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    }, spec.stopTimeoutMs);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => undefined);

  let consecutiveFailures = 0;
  try {
    while (!stopping) {
      const runStarted = Date.now();
      let exited = false;
      const logFd = openSync(spec.serviceLog, 'a', 0o600);
      const child = spawnLauncher(spec, logFd);
      closeSync(logFd);
      const finished = child.then((result) => {
        exited = true;
        return result;
      });
      current = { launcher: child.pid === undefined ? undefined : processIdentity(child.pid), service: undefined };
      if (current.launcher) {
        save({ status: 'starting', launcher: current.launcher, service: undefined });
        const service = await awaitService(current.launcher.pid, spec.executable, spec.readyTimeoutMs, () => exited);
        if (service && !exited) {
          current.service = service;
          writePidfile(files.pidfile, service.pid);
          save({ status: 'running', service, startedAt: new Date(runStarted).toISOString(), problem: undefined });
          log(`service running as pid ${service.pid} (launcher ${current.launcher.pid})`);
          if (stopping) process.kill(service.pid, spec.stopSignal);
          else if (spec.companions?.length) {
            companions = spawnCompanions(spec);
            const identities = companions.flatMap(({ name, child }) => {
              const identity = child.pid === undefined ? undefined : processIdentity(child.pid);
              return identity ? [{ ...identity, name }] : [];
            });
            save({ companions: identities });
            log(`companions running: ${identities.map((companion) => `${companion.name} pid ${companion.pid}`).join(', ')}`);
          }
        } else if (!exited) {
          log(`the service did not start within ${spec.readyTimeoutMs} ms: killing it`);
          save({ problem: `the service did not start within ${spec.readyTimeoutMs} ms; see ${spec.serviceLog}` });
          const stray = childPids(current.launcher.pid)[0];
          if (stray !== undefined) process.kill(stray, 'SIGKILL');
          process.kill(current.launcher.pid, 'SIGKILL');
        }
      }
      const result = await finished;
      await stopCompanions(companions, spec.stopTimeoutMs);
      companions = [];
      const exit = serviceExit(result.exitCode, result.signal, spec.serviceLog);
      writePidfile(files.pidfile, undefined);
      log(`service exited: ${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`}`);
      if (stopping) {
        save({ status: 'stopped', service: undefined, launcher: undefined, companions: undefined, lastExit: exit });
        break;
      }
      const failed = exit.signal !== null || exit.code !== 0;
      if (!failed || spec.restart === 'no') {
        save({ status: failed ? 'crashed' : 'exited', service: undefined, launcher: undefined, companions: undefined, lastExit: exit });
        break;
      }
      if (Date.now() - runStarted >= STABLE_MS) consecutiveFailures = 0;
      const delay = restartDelayMs(consecutiveFailures);
      consecutiveFailures += 1;
      save({ status: 'backoff', service: undefined, launcher: undefined, companions: undefined, lastExit: exit, restarts: state.restarts + 1 });
      log(`restarting in ${delay} ms (restart ${state.restarts})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wakeFromBackoff = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeFromBackoff = undefined;
      if (stopping) save({ status: 'stopped' });
    }
  } finally {
    if (killTimer) clearTimeout(killTimer);
    writePidfile(files.pidfile, undefined);
  }
  return state.status === 'crashed' ? 1 : 0;
}
