import { readdirSync } from 'node:fs';
import { ExitCode, JailwrightError } from '../errors.js';
import { readProcessStatus } from '../host/processes.js';
import type { NormalizedLaunch } from '../recipe/launch-schema.js';
import type { ServiceIdentity } from './launch-command.js';

/** The overflow ids: nobody and nogroup on Debian, shared by every service that "runs as nobody". */
export const OVERFLOW_ID = 65_534;

/** A process on the host that runs as the service's uid. */
export interface SameUidProcess {
  pid: number;
  command: string;
}

/** Host processes whose real, effective, saved or filesystem uid is `uid`. */
export function processesWithUid(uid: number): SameUidProcess[] {
  const found: SameUidProcess[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const status = readProcessStatus(Number(name));
    if (!status || status.state === 'Z' || !status.uids.includes(uid)) continue;
    found.push({ pid: Number(name), command: status.name });
  }
  return found;
}

/**
 * Refuses a service account the jail would share: root (engine-chroot never runs a service as uid or gid
 * 0), nobody/nogroup, or a uid some other process on the host already runs as. A process outside the jail
 * with the service's uid is a way out of it (ptrace it, or open /proc/PID/root of it), so each jail gets
 * its own account unless the recipe says `launch.sharedUser: true`. Called by `start` before anything runs,
 * when no process of this jail's service is left (a running one makes `start` a no-op).
 */
export function assertOwnServiceAccount(recipe: string, launch: NormalizedLaunch, identity: ServiceIdentity | undefined): void {
  if (!identity) return;
  const who = `launch.user ${launch.user ?? identity.uid} (uid ${identity.uid}, gid ${identity.gid})`;
  if (launch.mode === 'engine-chroot' && (identity.uid === 0 || identity.gid === 0)) {
    throw new JailwrightError(`${recipe}: ${who} is root: engine-chroot never runs the service as uid or gid 0`, {
      hint: 'Name a dedicated service account: jail.users: [{ name: <service>, create: true }] and launch.user: <service>.',
    });
  }
  if (launch.sharedUser) return;
  if (identity.uid === OVERFLOW_ID || identity.gid === OVERFLOW_ID || launch.user === 'nobody') {
    throw new JailwrightError(
      `${recipe}: ${who} is the shared nobody/nogroup: every other service running as nobody could reach into this jail (ptrace, /proc/PID/root)`,
      {
        hint:
          'Give the jail its own account: jail.users: [{ name: <service>, create: true }], launch.user: <service> (and launch.group if not its own group). ' +
          'If sharing is really intended, say so with launch.sharedUser: true.',
      },
    );
  }
  const others = processesWithUid(identity.uid);
  if (others.length > 0) {
    const named = others.slice(0, 5).map((process_) => `${process_.pid} (${process_.command})`).join(', ');
    throw new JailwrightError(
      `${recipe}: ${who} is already used by ${others.length} running process${others.length === 1 ? '' : 'es'} outside this jail: ${named}. ` +
        'A process outside the jail with the same uid can be ptraced, or its /proc/PID/root followed, out of the jail.',
      {
        exitCode: ExitCode.environment,
        hint: 'Give this jail its own service account (another jail runs as this one?), or set launch.sharedUser: true if sharing is intended.',
      },
    );
  }
}
