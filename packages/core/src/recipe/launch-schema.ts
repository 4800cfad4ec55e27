import { z } from 'zod';
import { AccountName, oneOf } from './schema-parts.js';

/** How the service gets into its jail: the engine chroots it, or it chroots itself. */
export const LAUNCH_MODES = ['engine-chroot', 'self-chroot'] as const;

/** Linux capability names, as setpriv(1) spells them without the CAP_ prefix. */
export const KNOWN_CAPABILITIES = [
  'chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid', 'setpcap',
  'linux_immutable', 'net_bind_service', 'net_broadcast', 'net_admin', 'net_raw', 'ipc_lock', 'ipc_owner',
  'sys_module', 'sys_rawio', 'sys_chroot', 'sys_ptrace', 'sys_pacct', 'sys_admin', 'sys_boot', 'sys_nice',
  'sys_resource', 'sys_time', 'sys_tty_config', 'mknod', 'lease', 'audit_write', 'audit_control', 'setfcap',
  'mac_override', 'mac_admin', 'syslog', 'wake_alarm', 'block_suspend', 'audit_read', 'perfmon', 'bpf',
  'checkpoint_restore',
] as const;

/** Signals a recipe may name to ask its service to stop (Apache stops gracefully on SIGWINCH). */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

export type LaunchMode = (typeof LAUNCH_MODES)[number];
export type Capability = (typeof KNOWN_CAPABILITIES)[number];
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** Capability names as the kernel headers write them (CAP_NET_BIND_SERVICE) are matched against setpriv's spelling. */
function unknownCapability(issue: { input?: unknown }): string {
  const input = typeof issue.input === 'string' ? issue.input.toLowerCase().replace(/^cap_/, '') : issue.input;
  const message = oneOf('capability', KNOWN_CAPABILITIES)({ input });
  return typeof issue.input === 'string' ? message.replace(JSON.stringify(input), JSON.stringify(issue.input)) : message;
}

const Seconds = z.number().positive().max(86_400);

const Companion = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, { error: (issue) => `companion name ${JSON.stringify(issue.input)} must be lower-case letters, digits and "-"` })
      .meta({ description: 'What the companion is called in logs and state, e.g. "smtpfwdd".' }),
    command: z
      .array(z.string().min(1))
      .min(1)
      .meta({ description: 'Host program and arguments, kept in the foreground. `{root}` in an argument becomes the real path of the jail root.' }),
  })
  .superRefine((companion, context) => {
    if (companion.command[0] !== undefined && !companion.command[0].startsWith('/')) {
      context.addIssue({ code: 'custom', path: ['command', 0], message: `the program ${JSON.stringify(companion.command[0])} must be an absolute path on the host: no PATH search happens` });
    }
  })
  .meta({
    title: 'Companion',
    description:
      'A process that runs outside the jail beside the service, started once the service runs and stopped with it (Obtuse SMTPD\'s smtpfwdd, which hands the jail\'s spool to the host\'s mailer). ' +
      'It runs as root in its own session with only PATH in its environment and drops its privileges itself: it is not fenced, so keep it small and trusted.',
  });

/** The recipe's `launch:` section: how the service is started, as whom, and with which fences. */
export const LaunchSchema = z
  .strictObject({
    mode: z.enum(LAUNCH_MODES, { error: oneOf('launch mode', LAUNCH_MODES) }).meta({
      title: 'Launch mode',
      description:
        '"engine-chroot": the engine chroots into the jail and switches to `user` before the service starts (command is a path inside the jail). ' +
        '"self-chroot": the service chroots itself and drops its privileges (e.g. `named -u bind -t {root}`); command is a host path.',
    }),
    command: z
      .array(z.string().min(1))
      .min(1)
      .meta({
        title: 'Command',
        description: 'Program and arguments, kept in the foreground (the supervisor watches this process). `{root}` in an argument becomes the real path of the jail root.',
      }),
    user: AccountName.meta({ title: 'User', description: 'Account the service runs as (engine-chroot: required and not root; self-chroot: the account it drops to, checked by probes).' }).optional(),
    group: AccountName.meta({ title: 'Group', description: "Primary group; default: the user's primary group." }).optional(),
    groups: z
      .array(AccountName)
      .meta({ title: 'Supplementary groups', description: 'The only supplementary groups the service keeps. Default: none (the caller’s groups are never inherited).' })
      .optional(),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: (issue) => `${JSON.stringify(issue.input)} is not an environment variable name` }), z.string())
      .meta({ title: 'Environment', description: 'The whole environment of the service (besides PATH, default /usr/sbin:/usr/bin:/sbin:/bin); nothing else is inherited.' })
      .optional(),
    workdir: z
      .string()
      .regex(/^\//, { error: 'workdir must be an absolute path' })
      .meta({ title: 'Working directory', description: 'self-chroot only: host directory the service starts in (engine-chroot services always start in the jail root).' })
      .optional(),
    namespaces: z
      .strictObject({
        net: z.boolean().meta({ description: 'A new, empty network namespace (loopback down): only for services that need no network.' }).optional(),
      })
      .meta({ title: 'Namespaces', description: 'New mount, pid, ipc and uts namespaces are always made; these are the optional ones.' })
      .optional(),
    capabilities: z
      .array(z.enum(KNOWN_CAPABILITIES, { error: unknownCapability }))
      .meta({
        title: 'Capabilities',
        description:
          'Capabilities kept in the bounding set. engine-chroot: default none (beyond sys_chroot, setuid, setgid that the chroot step needs; the service itself ends with none). ' +
          'self-chroot: what the service needs before it drops, e.g. [sys_chroot, setuid, setgid, net_bind_service].',
      })
      .optional(),
    proc: z
      .enum(['none', 'fresh'], { error: oneOf('proc mode', ['none', 'fresh']) })
      .meta({ title: 'Proc', description: '"none" (default): no /proc in the jail. "fresh": a new procfs for the service\'s own pid namespace at <jail>/proc (the directory must exist). The host /proc is never exposed.' })
      .optional(),
    stop: z
      .strictObject({
        signal: z.enum(STOP_SIGNALS, { error: oneOf('stop signal', STOP_SIGNALS) }).meta({ description: 'Signal asking the service to stop. Default SIGTERM.' }).optional(),
        timeoutSeconds: Seconds.meta({ description: 'Seconds to wait before SIGKILL. Default 10.' }).optional(),
      })
      .meta({ title: 'Stop', description: 'How the service is stopped.' })
      .optional(),
    restart: z
      .enum(['no', 'on-failure'], { error: oneOf('restart policy', ['no', 'on-failure']) })
      .meta({ title: 'Restart', description: '"no" (default) or "on-failure": restart after a non-zero exit or a signal, with backoff (first restart within 1 s).' })
      .optional(),
    readyTimeoutSeconds: Seconds.meta({
      title: 'Ready timeout',
      description: '`start` fails when the service has not started, and its probes (all but `log`) have not passed, within this many seconds. Default 10.',
    }).optional(),
    companions: z
      .array(Companion)
      .meta({ title: 'Companions', description: 'Processes outside the jail that start and stop with the service.' })
      .optional(),
    sharedUser: z
      .boolean()
      .meta({
        title: 'Shared user',
        description:
          'Allow a service account other processes use too: nobody/nogroup (uid or gid 65534), or a uid another process on the host runs as when `start` runs. ' +
          'Default false: a process outside the jail with the same uid can be ptraced, or its /proc/PID/root followed, out of the jail. Give each jail its own account instead.',
      })
      .optional(),
  })
  .superRefine((launch, context) => {
    const first = launch.command[0];
    if (first !== undefined && !first.startsWith('/')) {
      context.addIssue({
        code: 'custom',
        path: ['command', 0],
        message: `the program ${JSON.stringify(first)} must be an absolute path (${launch.mode === 'engine-chroot' ? 'inside the jail' : 'on the host'}): no PATH search happens`,
      });
    }
    if (launch.mode === 'engine-chroot') {
      if (launch.user === undefined) {
        context.addIssue({ code: 'custom', path: [], message: 'engine-chroot needs `user`: the service never runs as root inside the jail' });
      } else if (launch.user === 'root' || /^0+$/.test(launch.user)) {
        context.addIssue({ code: 'custom', path: ['user'], message: 'engine-chroot never runs the service as root: name a dedicated service account (users: [{ name: ..., create: true }])' });
      }
      if (launch.workdir !== undefined && launch.workdir !== '/') {
        context.addIssue({
          code: 'custom',
          path: ['workdir'],
          message: 'workdir is for self-chroot only: chroot(1) always starts an engine-chroot service in the jail root; let the service change directory itself',
        });
      }
    }
  })
  .meta({ title: 'Launch', description: 'How `jailwright start` launches and supervises the service.' });

export type Launch = z.infer<typeof LaunchSchema>;

/** The launch section with its defaults filled. */
export interface NormalizedLaunch {
  mode: LaunchMode;
  command: string[];
  user?: string;
  group?: string;
  groups: string[];
  env: Record<string, string>;
  workdir?: string;
  namespaces: { net: boolean };
  capabilities: Capability[];
  proc: 'none' | 'fresh';
  stop: { signal: StopSignal; timeoutSeconds: number };
  restart: 'no' | 'on-failure';
  readyTimeoutSeconds: number;
  sharedUser: boolean;
  companions: { name: string; command: string[] }[];
}

/** Fills the launch section's defaults. */
export function normalizeLaunch(launch: Launch): NormalizedLaunch {
  return {
    mode: launch.mode,
    command: [...launch.command],
    ...(launch.user === undefined ? {} : { user: launch.user }),
    ...(launch.group === undefined ? {} : { group: launch.group }),
    groups: [...new Set(launch.groups ?? [])],
    env: { ...launch.env },
    ...(launch.workdir === undefined ? {} : { workdir: launch.workdir }),
    namespaces: { net: launch.namespaces?.net ?? false },
    capabilities: [...new Set(launch.capabilities ?? [])],
    proc: launch.proc ?? 'none',
    stop: { signal: launch.stop?.signal ?? 'SIGTERM', timeoutSeconds: launch.stop?.timeoutSeconds ?? 10 },
    restart: launch.restart ?? 'no',
    readyTimeoutSeconds: launch.readyTimeoutSeconds ?? 10,
    sharedUser: launch.sharedUser ?? false,
    companions: (launch.companions ?? []).map((companion) => ({ name: companion.name, command: [...companion.command] })),
  };
}
