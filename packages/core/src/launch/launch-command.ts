import type { NormalizedLaunch } from '../recipe/launch-schema.js';
import { LANDLOCK_SCOPES } from './landlock-scope.js';

/** The host tools the launch is composed of, by absolute path (resolved once, never searched by PATH later). */
export interface LaunchTools {
  unshare: string;
  setsid: string;
  setpriv: string;
  chroot: string;
  mount: string;
  sh: string;
  /** The compiled Landlock scope step (launch/landlock-scope.ts), when the kernel can scope; absent, the chain has no such step. */
  landlock?: string | undefined;
}

/** Numeric ids of the service account, resolved on the host before launch (no NSS lookups inside the jail). */
export interface ServiceIdentity {
  uid: number;
  gid: number;
  groups: number[];
}

/** One process to spawn: the whole launch chain as argv, with the service's complete environment. */
export interface LaunchCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

/** What the engine-chroot step itself needs in the bounding set: chroot(2), setgroups/setgid, setuid. */
export const CHROOT_STEP_CAPABILITIES = ['sys_chroot', 'setgid', 'setuid'] as const;

const DEFAULT_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/** The service's whole environment: PATH (default the system directories) and the recipe's launch.env. */
export function serviceEnvironment(launch: NormalizedLaunch): Record<string, string> {
  return { PATH: DEFAULT_PATH, ...launch.env };
}

/**
 * Runs as root in the new mount and pid namespaces, before privileges drop: fences the jail with a bind
 * mount of itself remounted nodev,nosuid (its /dev, holding only the nodes the recipe asked for, keeps
 * dev but gets noexec), mounts a fresh procfs of the new pid namespace when asked, then execs the rest.
 * Mount propagation is already private (unshare --propagation private), so nothing leaks to the host.
 */
const FENCE_SCRIPT = [
  'set -e',
  'mount=$1 root=$2 proc=$3',
  'shift 3',
  '"$mount" --bind "$root" "$root"',
  '"$mount" -o remount,bind,nodev,nosuid "$root"',
  'if [ -d "$root/dev" ] && [ ! -L "$root/dev" ]; then',
  '  "$mount" --bind "$root/dev" "$root/dev"',
  '  "$mount" -o remount,bind,dev,nosuid,noexec "$root/dev"',
  'fi',
  'if [ "$proc" = fresh ]; then',
  '  if [ ! -d "$root/proc" ] || [ -L "$root/proc" ]; then echo "jailwright: proc: fresh needs a /proc directory in the jail as its mount point (recipes cannot name /proc yet: mkdir -m 0555 $root/proc)" >&2; exit 125; fi',
  '  "$mount" -t proc -o nosuid,nodev,noexec proc "$root/proc"',
  'fi',
  'exec "$@"',
].join('\n');

/** Replaces `{root}` in self-chroot arguments with the jail root's real path. */
export function substituteRoot(argument: string, jailRoot: string): string {
  return argument.replaceAll('{root}', jailRoot);
}

/**
 * The launch chain, pure: unshare (new mount, pid, ipc, uts and optionally net namespaces; the service is
 * pid 1 of its pid namespace, so killing it ends everything it started) → sh (the mount fence above) →
 * setsid (new session) → setpriv (no_new_privs, bounding set, no inheritable caps, no groups) → for
 * engine-chroot, chroot --userspec with numeric ids and an explicit group list (without one, chroot would
 * hand the service every host group of its user). When the tools include the Landlock step, it runs between
 * setpriv and the service: no abstract unix socket and no signal reaches outside the service's domain.
 * Descriptors above 2 are not closed here: the spawning process must hold none without close-on-exec.
 */
export function launchCommand(launch: NormalizedLaunch, jailRoot: string, identity: ServiceIdentity | undefined, tools: LaunchTools): LaunchCommand {
  const namespaces = ['--mount', '--pid', '--ipc', '--uts', ...(launch.namespaces.net ? ['--net'] : [])];
  const unshare = [...namespaces, '--fork', '--kill-child=SIGKILL', '--propagation', 'private', '--'];
  const fence = [tools.sh, '-c', FENCE_SCRIPT, 'jailwright-fence', tools.mount, jailRoot, launch.proc];
  const kept = launch.mode === 'engine-chroot' ? [...new Set([...CHROOT_STEP_CAPABILITIES, ...launch.capabilities])] : launch.capabilities;
  const setpriv = [
    tools.setpriv,
    '--no-new-privs',
    `--bounding-set=-all${kept.map((capability) => `,+${capability}`).join('')}`,
    '--inh-caps=-all',
    '--clear-groups',
    '--',
  ];
  const scope = tools.landlock ? [tools.landlock, '--scope', LANDLOCK_SCOPES.join(','), '--'] : [];
  let service: string[];
  if (launch.mode === 'engine-chroot') {
    if (!identity) throw new Error('engine-chroot needs the service identity');
    if (identity.uid === 0 || identity.gid === 0) throw new Error('engine-chroot never runs the service as uid or gid 0');
    service = [tools.chroot, `--userspec=${identity.uid}:${identity.gid}`, `--groups=${identity.groups.join(',')}`, jailRoot, ...launch.command];
  } else {
    service = launch.command.map((argument) => substituteRoot(argument, jailRoot));
  }
  return {
    file: tools.unshare,
    args: [...unshare, ...fence, tools.setsid, ...setpriv, ...scope, ...service],
    env: serviceEnvironment(launch),
    cwd: launch.mode === 'self-chroot' && launch.workdir ? launch.workdir : '/',
  };
}


/**
 * A companion's command: its own session on the host (outside the jail and the service's namespaces),
 * `{root}` substituted, only PATH in its environment.
 */
export function companionCommand(companion: { command: string[] }, jailRoot: string, tools: LaunchTools): LaunchCommand {
  return {
    file: tools.setsid,
    args: companion.command.map((argument) => substituteRoot(argument, jailRoot)),
    env: { PATH: DEFAULT_PATH },
    cwd: '/',
  };
}
