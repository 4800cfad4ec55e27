import { lstat, rm } from 'node:fs/promises';
import { posix } from 'node:path';
import { execa } from 'execa';
import { ExitCode, JailwrightError } from '../errors.js';
import { DEFAULT_SYSLOG, normalizeRateLimit, type Syslog, type SyslogMethod } from '../recipe/syslog-schema.js';
import { assertJailDevIsSafe, jailSocketPath, syslogStateDirectory } from './jail-socket.js';
import { isAlive, readPidFile, stopProcess } from '../host/processes.js';
import { findRelay, relayArguments, relayFiles, relayProgramPath, startRelay, type RelayStats } from './relay.js';
import {
  daemonPerJailConfig,
  daemonPerJailFiles,
  installRsyslogDropIn,
  removeRsyslogDropIn,
  rsyslogDropIn,
  rsyslogDropInName,
  rsyslogSettings,
  startRsyslogInstance,
  type RsyslogRuntimeOptions,
} from './rsyslog.js';
import { removeSyslogNgSnippet, syslogNgSnippet, syslogNgSnippetPath, writeSyslogNgSnippet } from './syslog-ng.js';

/** The jail a syslog method serves. */
export interface SyslogContext {
  /** The jail root as the user names it (the engine's symlink to the current generation). */
  jailRoot: string;
  /** The jail's name, used in tags, drop-in names and messages. */
  jailName: string;
  /** The engine's state directory for this jail, outside the jail; syslog files go in <stateDir>/syslog. */
  stateDir: string;
}

/** Run-time options the recipe cannot carry. */
export interface SyslogRuntimeOptions {
  /** Where the compiled relay is cached. Default: /var/cache/jailwright as root. */
  helperDirectory?: string | undefined;
  /** rsyslog method: how to restart rsyslog and how long to wait. */
  rsyslog?: RsyslogRuntimeOptions | undefined;
}

/** What a started syslog method left running or written, and how to undo it. */
export interface SyslogHandle {
  method: SyslogMethod;
  /** The socket the jail's processes write to, when there is one. */
  socketPath?: string;
  /** The process the engine started for this jail (relay or daemon-per-jail), when there is one. */
  pid?: number;
  /** Host files the method writes (drop-ins, output logs). */
  files: string[];
  /** Things the user should know (e.g. a reload left to them). */
  notes: string[];
  /** The relay's counters (relay only). */
  stats?: () => Promise<RelayStats>;
  /** Stops what was started (by PID); `purge` also removes drop-ins and snippets. */
  stop(options?: { purge?: boolean }): Promise<void>;
}

/** What a syslog method would do, printable without root and without touching the host. */
export interface SyslogPlan {
  method: SyslogMethod;
  summary: string;
  /** Commands and actions, in order, as a user would read them. */
  steps: string[];
  /** Files the method writes, with their contents. */
  files: Array<{ path: string; content: string }>;
  /** Why this method cannot run on this host, when it cannot. */
  refused?: string;
}

/** Why the Solaris form is plan output only. */
export const SOLARIS_MKNOD_REFUSAL =
  'the solaris-mknod method makes /dev/log and /dev/conslog character devices of the Solaris STREAMS log driver (major 21); ' +
  'Linux has no such driver: its /dev/log is a Unix datagram socket owned by the syslog daemon, and a device node with those numbers ' +
  'would be a different device or none. Use syslog method relay (the default), rsyslog, syslog-ng or daemon-per-jail on Linux.';

function refusalFor(method: SyslogMethod): string | undefined {
  return method === 'solaris-mknod' && process.platform !== 'sunos' ? SOLARIS_MKNOD_REFUSAL : undefined;
}

/** The settings in force: the recipe's, or the default relay. */
export function syslogSettings(settings: Syslog | undefined): Syslog {
  return settings ?? DEFAULT_SYSLOG;
}

/** What `startSyslog` would do for these settings, without doing it. */
export function syslogPlan(recipeSettings: Syslog | undefined, context: SyslogContext): SyslogPlan {
  const settings = syslogSettings(recipeSettings);
  const socket = jailSocketPath(context.jailRoot);
  const syslogDirectory = posix.join(context.stateDir, 'syslog');
  switch (settings.method) {
    case 'relay': {
      const limit = normalizeRateLimit(settings.rateLimit);
      const files = relayFiles(syslogDirectory);
      return {
        method: 'relay',
        summary: `the engine's relay listens on ${socket} and forwards to ${settings.target ?? '/dev/log'}`,
        steps: [
          `compile the relay once: cc -O2 -o ${relayProgramPath()} (source inside @jailwright/core)`,
          `start it: ${['jailwright-syslog-relay', ...relayArguments(settings, context, files.stats)].join(' ')}`,
          `tag messages "${settings.tag === false ? '' : `${context.jailName}/`}<tag>", pass the sender's pid/uid/gid on (SCM_CREDENTIALS)`,
          limit
            ? `rate limit: ${limit.base} messages per ${limit.intervalMs} ms, bursts of ${limit.peak}, over it ${limit.policy === 'drop' ? 'drop and count' : 'block the sender'}`
            : 'rate limit: off',
          `hold up to ${settings.bufferBytes ?? 1024 * 1024} bytes while the target is down; pidfile ${files.pidFile}`,
        ],
        files: [],
      };
    }
    case 'rsyslog': {
      const resolved = rsyslogSettings(settings);
      const dropIn = posix.join(resolved.dropInDirectory, rsyslogDropInName(context.jailName));
      return {
        method: 'rsyslog',
        summary: `the host rsyslog gets an extra socket at ${socket}`,
        steps: [
          `write ${dropIn}`,
          `check the configuration: rsyslogd -N1 -f ${resolved.config}`,
          `restart rsyslog (running as the PID in ${resolved.pidFile}): ${resolved.restartCommand.join(' ')} — rsyslog 8 reads no new inputs on SIGHUP`,
          `stop --purge: remove ${dropIn} and restart rsyslog again`,
        ],
        files: [{ path: dropIn, content: rsyslogDropIn(context.jailRoot, context.jailName) }],
      };
    }
    case 'syslog-ng': {
      const file = syslogNgSnippetPath(settings, context.jailName);
      return {
        method: 'syslog-ng',
        summary: `the host syslog-ng gets an extra unix-dgram source at ${socket}`,
        steps: [`write ${file}`, 'reload syslog-ng: syslog-ng-ctl reload', `stop --purge: remove ${file}`],
        files: [{ path: file, content: syslogNgSnippet(settings, context) }],
      };
    }
    case 'daemon-per-jail': {
      const files = daemonPerJailFiles(settings, syslogDirectory);
      const configFile = posix.join(files.directory, 'rsyslog.conf');
      return {
        method: 'daemon-per-jail',
        summary: `a separate rsyslogd for this jail listens on ${socket} and writes ${files.output}`,
        steps: [`write ${configFile}`, `start: rsyslogd -n -f ${configFile} -i ${files.pidFile}`, 'stop: by the PID in its pidfile'],
        files: [{ path: configFile, content: daemonPerJailConfig(context, files.directory, files.output) }],
      };
    }
    case 'solaris-mknod': {
      const refused = refusalFor('solaris-mknod');
      return {
        method: 'solaris-mknod',
        summary: 'the Solaris log driver nodes in the jail (plan output only: run these on Solaris yourself)',
        steps: [
          `mknod ${posix.join(posix.resolve(context.jailRoot), 'dev/log')} c 21 5`,
          `mknod ${posix.join(posix.resolve(context.jailRoot), 'dev/conslog')} c 21 0`,
        ],
        files: [],
        ...(refused === undefined ? {} : { refused }),
      };
    }
    case 'none':
      return { method: 'none', summary: 'no syslog socket in the jail', steps: [], files: [] };
  }
}

/** The plan as text, for `--dry-run` and logs. */
export function formatSyslogPlan(plan: SyslogPlan): string {
  const lines = [`syslog (${plan.method}): ${plan.summary}`];
  for (const step of plan.steps) lines.push(`  ${step}`);
  for (const file of plan.files) {
    lines.push(`  --- ${file.path}`);
    for (const line of file.content.trimEnd().split('\n')) lines.push(`  | ${line}`);
  }
  if (plan.refused) lines.push(`  refused here: ${plan.refused}`);
  return `${lines.join('\n')}\n`;
}

/** Gives the jail its syslog socket by the recipe's method and returns how to stop it. */
export async function startSyslog(recipeSettings: Syslog | undefined, context: SyslogContext, options: SyslogRuntimeOptions = {}): Promise<SyslogHandle> {
  const settings = syslogSettings(recipeSettings);
  switch (settings.method) {
    case 'relay': {
      const relay = await startRelay(settings, { ...context, helperDirectory: options.helperDirectory });
      return {
        method: 'relay',
        socketPath: relay.socketPath,
        pid: relay.pid,
        files: [],
        notes: [],
        stats: () => relay.stats(),
        async stop(stopOptions = {}) {
          await relay.stop();
          if (stopOptions.purge) await rm(posix.join(context.stateDir, 'syslog'), { recursive: true, force: true });
        },
      };
    }
    case 'rsyslog': {
      const installed = await installRsyslogDropIn(settings, context, options.rsyslog);
      return {
        method: 'rsyslog',
        socketPath: installed.socketPath,
        files: [installed.dropIn],
        notes: [],
        async stop(stopOptions = {}) {
          if (stopOptions.purge) await removeRsyslogDropIn(settings, context, options.rsyslog);
        },
      };
    }
    case 'syslog-ng': {
      const file = await writeSyslogNgSnippet(settings, context);
      const reload = await execa('syslog-ng-ctl', ['reload'], { reject: false, stdin: 'ignore' });
      return {
        method: 'syslog-ng',
        socketPath: jailSocketPath(context.jailRoot),
        files: [file],
        notes: reload.exitCode === 0 ? [] : [`wrote ${file}; reload syslog-ng yourself (syslog-ng-ctl reload failed: ${String(reload.stderr || reload.message).trim()})`],
        async stop(stopOptions = {}) {
          if (stopOptions.purge) await removeSyslogNgSnippet(settings, context.jailName);
        },
      };
    }
    case 'daemon-per-jail': {
      await assertJailDevIsSafe(context.jailRoot);
      const files = daemonPerJailFiles(settings, await syslogStateDirectory(context.stateDir));
      const running = await readPidFile(files.pidFile);
      if (running !== undefined && (await isAlive(running))) {
        throw new JailwrightError(`the jail's syslog daemon already runs (pid ${running}, ${files.pidFile}); stop it first`);
      }
      const socketPath = jailSocketPath(context.jailRoot);
      const instance = await startRsyslogInstance({
        directory: files.directory,
        config: daemonPerJailConfig(context, files.directory, files.output),
        waitFor: [socketPath],
      });
      return {
        method: 'daemon-per-jail',
        socketPath,
        pid: instance.pid,
        files: [files.output],
        notes: [],
        async stop(stopOptions = {}) {
          await instance.stop();
          if (stopOptions.purge) await rm(files.directory, { recursive: true, force: true });
        },
      };
    }
    case 'solaris-mknod':
      throw new JailwrightError(refusalFor('solaris-mknod') ?? 'the solaris-mknod method is plan output only: run the mknod commands of `--dry-run` yourself', {
        exitCode: ExitCode.badInput,
      });
    case 'none':
      return { method: 'none', files: [], notes: [], async stop() {} };
  }
}

/**
 * Stops a jail's syslog method from a later command than the one that started it (the relay and the
 * per-jail daemon by the PID in their pidfiles); `purge` also removes drop-ins and snippets.
 */
export async function stopSyslog(
  recipeSettings: Syslog | undefined,
  context: SyslogContext,
  options: SyslogRuntimeOptions & { purge?: boolean } = {},
): Promise<void> {
  const settings = syslogSettings(recipeSettings);
  const syslogDirectory = posix.join(context.stateDir, 'syslog');
  switch (settings.method) {
    case 'relay': {
      const relay = await findRelay({ ...context, helperDirectory: options.helperDirectory });
      if (relay) await relay.stop();
      if (options.purge) await rm(syslogDirectory, { recursive: true, force: true });
      return;
    }
    case 'rsyslog':
      if (options.purge) await removeRsyslogDropIn(settings, context, options.rsyslog);
      return;
    case 'syslog-ng':
      if (options.purge) await removeSyslogNgSnippet(settings, context.jailName);
      return;
    case 'daemon-per-jail': {
      const files = daemonPerJailFiles(settings, syslogDirectory);
      const pid = await readPidFile(files.pidFile);
      if (pid !== undefined) await stopProcess(pid, { executable: await rsyslogdPath() });
      if (options.purge) await rm(files.directory, { recursive: true, force: true });
      return;
    }
    case 'solaris-mknod':
    case 'none':
      return;
  }
}

async function rsyslogdPath(): Promise<string | undefined> {
  for (const candidate of ['/usr/sbin/rsyslogd', '/sbin/rsyslogd']) {
    if (await lstat(candidate).then((info) => info.isFile(), () => false)) return candidate;
  }
  return undefined;
}
