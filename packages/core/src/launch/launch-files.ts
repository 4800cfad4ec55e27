import { posix } from 'node:path';
import type { JailLayout } from '../apply/jail-layout.js';

/**
 * Where a launched service's bookkeeping lives: in the jail's state directory, outside the jail, root-only.
 *
 *   /srv/jails/.demo.jailwright/launch/{launch.json, state.json, service.pid, service.log, supervisor.log}
 */
export interface LaunchFiles {
  directory: string;
  /** The resolved launch (argv, env, PIDs to watch for) the supervisor reads. */
  spec: string;
  /** Supervisor and service PIDs, start time, restarts, last exit. */
  state: string;
  /** The service's PID, one line, present while it runs. */
  pidfile: string;
  /** The service's stdout and stderr. */
  serviceLog: string;
  /** The supervisor's own messages. */
  supervisorLog: string;
}

/** The launch files of a jail. */
export function launchFiles(layout: JailLayout): LaunchFiles {
  return launchFilesIn(posix.join(layout.state, 'launch'));
}

/** The launch files in a launch directory. */
export function launchFilesIn(directory: string): LaunchFiles {
  return {
    directory,
    spec: posix.join(directory, 'launch.json'),
    state: posix.join(directory, 'state.json'),
    pidfile: posix.join(directory, 'service.pid'),
    serviceLog: posix.join(directory, 'service.log'),
    supervisorLog: posix.join(directory, 'supervisor.log'),
  };
}
