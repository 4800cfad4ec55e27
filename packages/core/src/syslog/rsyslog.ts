import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { execa } from 'execa';
import { ExitCode, JailwrightError } from '../errors.js';
import type { DaemonPerJailSyslog, RsyslogSyslog } from '../recipe/syslog-schema.js';
import { assertJailDevIsSafe, jailSocketPath } from './jail-socket.js';
import { executableOf, isAlive, readPidFile, stopProcess, waitUntil } from '../host/processes.js';

/** rsyslog's default maximum message size is 8 KB, headers included; the jail sockets allow 64 KiB. */
const MAX_MESSAGE_SIZE = '64k';

/** RainerScript string quoting (paths are also checked by the recipe schema). */
function quoted(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The file name of a jail's rsyslog drop-in. */
export function rsyslogDropInName(jailName: string): string {
  return `jailwright-${jailName}.conf`;
}

/** The drop-in that gives the host rsyslog an extra listening socket in the jail. */
export function rsyslogDropIn(jailRoot: string, jailName: string): string {
  const socket = jailSocketPath(jailRoot);
  return (
    `# Written by jailwright for the jail "${jailName}"; \`jailwright stop --purge\` removes it.\n` +
    '# UsePIDFromSystem: the pid logged is the one the kernel saw, not the one the jailed process wrote.\n' +
    `input(type="imuxsock" Socket=${quoted(socket)} CreatePath="on" UsePIDFromSystem="on")\n`
  );
}

/** The defaults of the rsyslog method, filled. */
export function rsyslogSettings(settings: RsyslogSyslog) {
  return {
    dropInDirectory: settings.dropInDirectory ?? '/etc/rsyslog.d',
    config: settings.config ?? '/etc/rsyslog.conf',
    pidFile: settings.pidFile ?? '/run/rsyslogd.pid',
    restartCommand: settings.restartCommand ?? defaultRestartCommand(),
  };
}

/**
 * rsyslog 8 does not read new inputs on SIGHUP (it only reopens its files; measured with 8.2302), so a new
 * drop-in needs a restart, done through the init system that owns the daemon.
 */
export function defaultRestartCommand(): string[] {
  return existsSync('/run/systemd/system') ? ['systemctl', 'try-restart', 'rsyslog.service'] : ['service', 'rsyslog', 'restart'];
}

/** What the rsyslog method can be told at run time, beyond the recipe. */
export interface RsyslogRuntimeOptions {
  /** Restarts rsyslog instead of `restartCommand` (tests restart their private instance by PID). */
  restart?: (() => Promise<void>) | undefined;
  /** How long to wait for rsyslog to create the socket after the restart. Default: 10 s. */
  timeoutMs?: number | undefined;
}

async function isSocket(path: string): Promise<boolean> {
  return lstat(path).then((info) => info.isSocket(), () => false);
}

async function restartRsyslog(settings: ReturnType<typeof rsyslogSettings>, options: RsyslogRuntimeOptions): Promise<void> {
  if (options.restart) return options.restart();
  const [command, ...args] = settings.restartCommand;
  if (command === undefined) return;
  const result = await execa(command, args, { reject: false, stdin: 'ignore' });
  if (result.exitCode !== 0) {
    throw new JailwrightError(`restarting rsyslog with \`${settings.restartCommand.join(' ')}\` failed: ${String(result.stderr || result.stdout).trim()}`, {
      exitCode: ExitCode.environment,
      hint: 'set syslog.restartCommand in the recipe to the command that restarts rsyslog on this host',
    });
  }
}

/**
 * Writes the jail's drop-in, checks rsyslog's whole configuration with `rsyslogd -N1`, restarts rsyslog and
 * waits for the socket. A drop-in that rsyslog rejects is removed again before anything restarts.
 */
export async function installRsyslogDropIn(
  recipeSettings: RsyslogSyslog,
  context: { jailRoot: string; jailName: string },
  options: RsyslogRuntimeOptions = {},
): Promise<{ dropIn: string; socketPath: string }> {
  const settings = rsyslogSettings(recipeSettings);
  await assertJailDevIsSafe(context.jailRoot);
  const pid = await readPidFile(settings.pidFile);
  if (pid === undefined || !(await isAlive(pid))) {
    throw new JailwrightError(`rsyslog is not running: no live PID in ${settings.pidFile}`, {
      exitCode: ExitCode.environment,
      hint: 'start rsyslog (Debian: apt-get install rsyslog), set syslog.pidFile, or choose syslog method relay or daemon-per-jail',
    });
  }
  const dropIn = posix.join(settings.dropInDirectory, rsyslogDropInName(context.jailName));
  const temporary = `${dropIn}.${process.pid}.tmp`;
  await writeFile(temporary, rsyslogDropIn(context.jailRoot, context.jailName), { mode: 0o644 });
  await rename(temporary, dropIn);

  const check = await execa('rsyslogd', ['-N1', '-f', settings.config], { reject: false, stdin: 'ignore' });
  if (check.exitCode !== 0) {
    await rm(dropIn, { force: true });
    throw new JailwrightError(`rsyslog rejects its configuration with the jail's drop-in (removed again):\n${String(check.stderr || check.stdout).trim()}`, {
      exitCode: ExitCode.environment,
    });
  }
  await restartRsyslog(settings, options);
  const socketPath = jailSocketPath(context.jailRoot);
  if (!(await waitUntil(() => isSocket(socketPath), options.timeoutMs ?? 10_000))) {
    throw new JailwrightError(`rsyslog restarted but did not create ${socketPath}; check its own log (is imuxsock loaded in ${settings.config}?)`, {
      exitCode: ExitCode.environment,
    });
  }
  return { dropIn, socketPath };
}

/** Removes the jail's drop-in and restarts rsyslog, which then stops listening in the jail. */
export async function removeRsyslogDropIn(
  recipeSettings: RsyslogSyslog,
  context: { jailName: string },
  options: RsyslogRuntimeOptions = {},
): Promise<boolean> {
  const settings = rsyslogSettings(recipeSettings);
  const dropIn = posix.join(settings.dropInDirectory, rsyslogDropInName(context.jailName));
  if (!(await lstat(dropIn).then(() => true, () => false))) return false;
  await rm(dropIn, { force: true });
  const pid = await readPidFile(settings.pidFile);
  if (pid !== undefined && (await isAlive(pid))) await restartRsyslog(settings, options);
  return true;
}

/** A private rsyslogd: its own configuration, pidfile and files, stopped by PID. */
export interface RsyslogInstance {
  pid: number;
  directory: string;
  configFile: string;
  pidFile: string;
  /** Stops it by PID (SIGTERM, then SIGKILL). */
  stop(): Promise<void>;
  /** Stops it by PID and starts it again with the same configuration; `pid` changes. */
  restart(): Promise<void>;
}

/** Options of a private rsyslogd. */
export interface RsyslogInstanceOptions {
  /** Its directory: rsyslog.conf, rsyslogd.pid, rsyslogd.log and its work files go here. */
  directory: string;
  /** The configuration text. */
  config: string;
  /** Sockets to wait for before the start counts as done. */
  waitFor?: string[] | undefined;
  timeoutMs?: number | undefined;
}

/** Starts `rsyslogd -n -f <dir>/rsyslog.conf -i <dir>/rsyslogd.pid` and waits for its pidfile and sockets. */
export async function startRsyslogInstance(options: RsyslogInstanceOptions): Promise<RsyslogInstance> {
  await mkdir(options.directory, { recursive: true, mode: 0o700 });
  const configFile = posix.join(options.directory, 'rsyslog.conf');
  const pidFile = posix.join(options.directory, 'rsyslogd.pid');
  const logFile = posix.join(options.directory, 'rsyslogd.log');
  await writeFile(configFile, options.config, { mode: 0o600 });

  const launch = async (): Promise<{ pid: number; executable: string | undefined }> => {
    await rm(pidFile, { force: true });
    const log = await open(logFile, 'a', 0o600);
    const child = spawn('rsyslogd', ['-n', '-f', configFile, '-i', pidFile], { detached: true, stdio: ['ignore', log.fd, log.fd] });
    await log.close();
    let failure: Error | undefined;
    let exited = false;
    child.once('error', (error) => {
      failure = error;
    });
    child.once('exit', () => {
      exited = true;
    });
    child.unref();
    const pid = child.pid;
    const started = await waitUntil(async () => {
      if (exited || failure) return true;
      if (pid === undefined || (await readPidFile(pidFile)) !== pid) return false;
      for (const socket of options.waitFor ?? []) if (!(await isSocket(socket))) return false;
      return true;
    }, options.timeoutMs ?? 10_000);
    if (pid === undefined || failure || exited || !started) {
      if (pid !== undefined && !exited) await stopProcess(pid);
      const output = (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join('\n');
      throw new JailwrightError(`rsyslogd did not start with ${configFile}: ${failure?.message ?? (output || 'no output')}`, {
        exitCode: ExitCode.environment,
        hint: 'install rsyslog (Debian: apt-get install rsyslog)',
      });
    }
    return { pid, executable: await executableOf(pid) };
  };

  let current = await launch();
  const instance: RsyslogInstance = {
    pid: current.pid,
    directory: options.directory,
    configFile,
    pidFile,
    async stop() {
      await stopProcess(current.pid, current.executable === undefined ? {} : { executable: current.executable });
    },
    async restart() {
      await instance.stop();
      current = await launch();
      instance.pid = current.pid;
    },
  };
  return instance;
}

/** The configuration of a jail's own rsyslogd: only the jail socket in, one file out. */
export function daemonPerJailConfig(context: { jailRoot: string; jailName: string }, directory: string, output: string): string {
  return [
    `# jailwright: the syslog daemon of the jail "${context.jailName}", listening only on its /dev/log.`,
    `global(workDirectory=${quoted(directory)} maxMessageSize="${MAX_MESSAGE_SIZE}")`,
    'module(load="imuxsock" SysSock.Use="off")',
    `input(type="imuxsock" Socket=${quoted(jailSocketPath(context.jailRoot))} CreatePath="on" UsePIDFromSystem="on" RateLimit.Interval="0")`,
    `*.* action(type="omfile" file=${quoted(output)})`,
    '',
  ].join('\n');
}

/** Where daemon-per-jail keeps its files, and the output file it writes. */
export function daemonPerJailFiles(settings: DaemonPerJailSyslog, syslogDirectory: string) {
  const directory = posix.join(syslogDirectory, 'daemon');
  return { directory, output: settings.output ?? posix.join(syslogDirectory, 'messages.log'), pidFile: posix.join(directory, 'rsyslogd.pid') };
}
