/**
 * The syslog relay: the engine owns <jail>/dev/log and forwards every datagram to the host syslog.
 *
 * Why a small C program, compiled on first use with the system C compiler, and not an npm addon:
 * Node's dgram has no AF_UNIX, and the two packages that add it were read for this: `unix-dgram`
 * (node-gyp at install) and `node-unix-socket` (prebuilt N-API) both call recvmsg/sendmsg with no
 * control buffer, so neither can receive SCM_CREDENTIALS (SO_PASSCRED) nor send them, and
 * node-unix-socket queues unsent datagrams without bound. Keeping the sender's pid/uid/gid is the
 * point of a relay (the host log must name the jailed process, not the relay), so either addon would
 * still need native code of our own. A ~400-line C program needs only cc and libc headers (Debian:
 * gcc, libc6-dev), no node-gyp, no Python, no per-Node-ABI rebuild, and runs as its own process: the
 * relay outlives the CLI call that started it and is stopped by PID. socat forwards datagrams but
 * drops the credentials and has no rate limit.
 *
 * The program: binds <jail>/dev/log from an fd of the jail's /dev opened with O_NOFOLLOW (checked
 * root-owned, not group/other-writable), receives with SO_PASSCRED, prefixes the tag with the jail
 * name, and forwards with one sendmsg by path per message, so a restarted host syslog's new socket
 * is found again; while the target is down, messages wait in a bounded buffer. It passes the
 * sender's credentials on with SCM_CREDENTIALS (root may send any pid/uid/gid); when the sender has
 * already exited the kernel refuses its pid, and the message goes out with the relay's own.
 * Datagrams up to 64 KiB pass whole. A token bucket limits the rate; over it, "drop" drops and counts
 * (and logs the count every interval), "block" stops reading so the senders wait in syslog(3).
 * Its memory is bounded by `bufferBytes` plus two 64 KiB buffers.
 */
import { spawn } from 'node:child_process';
import { open, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { JailwrightError, ExitCode } from '../errors.js';
import { normalizeRateLimit, type RelaySyslog } from '../recipe/syslog-schema.js';
import { assertJailDevIsSafe, jailSocketPath, syslogStateDirectory } from './jail-socket.js';
import { isAlive, readPidFile, stopProcess, waitUntil } from '../host/processes.js';
import { RELAY_PROGRAM_SOURCE } from './relay-program.js';
import { defaultHelperDirectory, ensureHelperProgram, helperProgramPath, type HelperProgram } from '../native/helper-program.js';

/** Counters the relay keeps; `stats()` asks the running relay for fresh ones. */
export interface RelayStats {
  ready: boolean;
  stopped: boolean;
  pid: number;
  sequence: number;
  received: number;
  forwarded: number;
  droppedRateLimit: number;
  droppedOverflow: number;
  droppedError: number;
  credentialFallbacks: number;
  targetDownEvents: number;
  truncated: number;
  queued: number;
  queueBytes: number;
  maxQueueBytes: number;
  bufferBytes: number;
}

/** Where a jail's relay keeps its files, all outside the jail. */
export function relayFiles(syslogDirectory: string) {
  return {
    pidFile: posix.join(syslogDirectory, 'relay.pid'),
    stats: posix.join(syslogDirectory, 'relay.stats.json'),
    log: posix.join(syslogDirectory, 'relay.log'),
  };
}

const RELAY_PROGRAM: HelperProgram = {
  name: 'syslog-relay',
  source: RELAY_PROGRAM_SOURCE,
  purpose: 'the syslog relay',
  withoutCompiler: 'choose another syslog method (rsyslog, daemon-per-jail, none)',
};

/** The relay program's path for this source: one binary per source hash, so an upgrade compiles anew. */
export function relayProgramPath(helperDirectory = defaultHelperDirectory()): string {
  return helperProgramPath(RELAY_PROGRAM, helperDirectory);
}

/** Compiles the relay program once (cc, or $CC) into the helper cache and returns its path. */
export function ensureRelayProgram(helperDirectory = defaultHelperDirectory()): Promise<string> {
  return ensureHelperProgram(RELAY_PROGRAM, helperDirectory);
}

/** A running relay. */
export interface RelayHandle {
  pid: number;
  socketPath: string;
  /** Asks the relay for fresh counters (SIGUSR1) and returns them. */
  stats(): Promise<RelayStats>;
  /** Stops the relay by PID; it forwards what it still holds, then removes its socket. */
  stop(): Promise<RelayStats | undefined>;
}

/** What `startRelay` needs beyond the recipe's settings. */
export interface RelayContext {
  jailRoot: string;
  jailName: string;
  stateDir: string;
  helperDirectory?: string | undefined;
}

/** The relay's command-line arguments for these settings. */
export function relayArguments(settings: RelaySyslog, context: { jailRoot: string; jailName: string }, statsFile: string): string[] {
  const limit = normalizeRateLimit(settings.rateLimit);
  return [
    '--jail-root', context.jailRoot,
    '--jail-name', context.jailName,
    '--target', settings.target ?? '/dev/log',
    '--stats', statsFile,
    '--buffer-bytes', String(settings.bufferBytes ?? 1024 * 1024),
    ...(limit
      ? ['--rate-interval-ms', String(limit.intervalMs), '--rate-base', String(limit.base), '--rate-peak', String(limit.peak), '--policy', limit.policy]
      : []),
    ...(settings.tag === false ? ['--no-tag'] : []),
  ];
}

async function readStats(file: string): Promise<RelayStats | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  try {
    return JSON.parse(text) as RelayStats;
  } catch {
    return undefined;
  }
}

function handleFor(pid: number, program: string, socketPath: string, files: ReturnType<typeof relayFiles>): RelayHandle {
  return {
    pid,
    socketPath,
    async stats() {
      const before = (await readStats(files.stats))?.sequence ?? 0;
      process.kill(pid, 'SIGUSR1');
      const fresh = await waitUntil(async () => {
        const stats = await readStats(files.stats);
        return stats && stats.sequence > before ? stats : undefined;
      }, 5000);
      if (!fresh) throw new JailwrightError(`the syslog relay (pid ${pid}) did not answer a stats request within 5 s; see ${files.log}`);
      return fresh;
    },
    async stop() {
      await stopProcess(pid, { executable: program });
      await rm(files.pidFile, { force: true });
      return readStats(files.stats);
    },
  };
}

/** Starts the relay for a jail: compiles it on first use, binds <jail>/dev/log, and returns once it listens. */
export async function startRelay(settings: RelaySyslog, context: RelayContext): Promise<RelayHandle> {
  if (process.getuid?.() !== 0) {
    throw new JailwrightError('the syslog relay needs root: it binds a socket in the jail’s root-owned /dev and passes on other users’ credentials', {
      exitCode: ExitCode.environment,
    });
  }
  await assertJailDevIsSafe(context.jailRoot);
  const program = await ensureRelayProgram(context.helperDirectory);
  const directory = await syslogStateDirectory(context.stateDir);
  const files = relayFiles(directory);
  const running = await readPidFile(files.pidFile);
  if (running !== undefined && (await isAlive(running))) {
    throw new JailwrightError(`a syslog relay already runs for this jail (pid ${running}, ${files.pidFile}); stop it first`);
  }
  await rm(files.stats, { force: true });
  // The jail root is the engine's symlink to the current generation: bind in the generation it names now.
  const jailRoot = await realpath(context.jailRoot);
  const log = await open(files.log, 'a', 0o600);
  const child = spawn(program, relayArguments(settings, { jailRoot, jailName: context.jailName }, files.stats), {
    detached: true,
    stdio: ['ignore', log.fd, log.fd],
  });
  await log.close();
  const pid = child.pid;
  if (pid === undefined) throw new JailwrightError(`could not start the syslog relay ${program}`, { exitCode: ExitCode.environment });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  child.unref();
  const ready = await waitUntil(async () => exited || (await readStats(files.stats))?.ready === true, 10_000);
  if (!ready || exited) {
    const output = (await readFile(files.log, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join('\n');
    if (!exited) await stopProcess(pid, { executable: program });
    throw new JailwrightError(`the syslog relay did not start for ${context.jailRoot}: ${output || 'no output'}`, { exitCode: ExitCode.environment });
  }
  await writeFile(files.pidFile, `${pid}\n`, { mode: 0o644 });
  return handleFor(pid, program, jailSocketPath(context.jailRoot), files);
}

/** Finds the relay a previous command started for this jail (from its pidfile), or undefined. */
export async function findRelay(context: RelayContext): Promise<RelayHandle | undefined> {
  const files = relayFiles(posix.join(context.stateDir, 'syslog'));
  const pid = await readPidFile(files.pidFile);
  if (pid === undefined || !(await isAlive(pid))) return undefined;
  return handleFor(pid, relayProgramPath(context.helperDirectory), jailSocketPath(context.jailRoot), files);
}
