import { ENGINE_VERSION } from '../version.js';
import { serviceEnvironment, substituteRoot } from '../launch/launch-command.js';
import type { LoadedRecipe } from '../recipe/load.js';
import { syslogSettings } from '../syslog/syslog.js';

/** Quotes one word for a unit file's command line and Environment= (systemd's own C-style quoting). */
function quote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `"${word.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('$', '$$').replaceAll('%', '%%')}"`;
}

/** A unit value that may hold specifiers: % doubled. */
function literal(value: string): string {
  return value.replaceAll('%', '%%');
}

/**
 * Sandboxing the launcher applies on every `start` too, so a running service proves it harmless:
 * no_new_privs, the bounding set, no supplementary groups but the recipe's, new ipc and uts namespaces,
 * a /dev holding only the recipe's nodes, no host /proc, nosuid on the jail.
 */
export const MIRRORED_IN_START = [
  'NoNewPrivileges',
  'CapabilityBoundingSet',
  'SupplementaryGroups',
  'PrivateIPC',
  'ProtectHostname',
  'PrivateDevices',
  'ProtectProc',
  'ProcSubset',
  'RestrictSUIDSGID',
] as const;

/**
 * A systemd service unit for the jail: systemd chroots (RootDirectory=) and switches user itself, so an
 * engine-chroot recipe's command runs as it is; a self-chroot service gets `{root}` as "/" (its chroot is
 * then a no-op inside the one systemd made). Hardening beyond what `start` mirrors (MIRRORED_IN_START) is
 * what a service that reads its config, writes only its own directories and talks IP needs; the recipe's
 * writable directories (those owned by the service user) are the only writable paths.
 */
export function systemdUnit(loaded: LoadedRecipe, root: string): string {
  const { recipe } = loaded;
  const launch = recipe.launch;
  if (!launch) throw new Error('systemdUnit needs a launch section');
  const selfChroot = launch.mode === 'self-chroot';
  const command = launch.command.map((argument) => substituteRoot(argument, '/'));
  const writable = recipe.jail.directories.filter((entry) => launch.user !== undefined && entry.owner === launch.user).map((entry) => entry.path);
  const capabilities = launch.capabilities.map((capability) => `CAP_${capability.toUpperCase()}`);
  const logSocket = syslogSettings(recipe.syslog).method;
  const needsLogSocket = logSocket !== 'none' && logSocket !== 'solaris-mknod';
  const environment = Object.entries(serviceEnvironment(launch)).map(([name, value]) => quote(`${name}=${value}`));

  const service: string[] = [
    'Type=simple',
    `ExecStart=${command.map(quote).join(' ')}`,
    `RootDirectory=${literal(root)}`,
    `WorkingDirectory=${literal(selfChroot && launch.workdir ? launch.workdir : '/')}`,
    ...(launch.user === undefined ? [] : [`User=${launch.user}`]),
    ...(launch.group === undefined ? [] : [`Group=${launch.group}`]),
    `SupplementaryGroups=${launch.groups.join(' ')}`,
    `Environment=${environment.join(' ')}`,
    `KillSignal=${launch.stop.signal}`,
    `TimeoutStopSec=${launch.stop.timeoutSeconds}`,
    `Restart=${launch.restart === 'on-failure' ? 'on-failure' : 'no'}`,
    '',
    '# Also applied by `jailwright start`: a running service proves these harmless.',
    'NoNewPrivileges=yes',
    `CapabilityBoundingSet=${capabilities.join(' ')}`,
    // A self-chroot service needs its capabilities before it drops them (named: chroot, setuid, setgid).
    `AmbientCapabilities=${selfChroot ? capabilities.join(' ') : ''}`,
    'PrivateDevices=yes',
    'PrivateIPC=yes',
    'ProtectHostname=yes',
    'ProtectProc=invisible',
    'ProcSubset=pid',
    'RestrictSUIDSGID=yes',
    ...(launch.namespaces.net ? ['PrivateNetwork=yes'] : []),
    '',
    '# Export only: the launcher has no equivalent (seccomp, address families, read-only mounts, personality).',
    'ProtectSystem=strict',
    ...writable.map((path) => `ReadWritePaths=+${literal(path)}`),
    'ProtectHome=yes',
    'PrivateTmp=yes',
    ...(selfChroot ? [] : ['PrivateUsers=yes']),
    'PrivateMounts=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'RestrictNamespaces=yes',
    'RestrictRealtime=yes',
    'LockPersonality=yes',
    'MemoryDenyWriteExecute=yes',
    'RemoveIPC=yes',
    'KeyringMode=private',
    'DevicePolicy=closed',
    'UMask=0077',
    `RestrictAddressFamilies=AF_INET AF_INET6${needsLogSocket ? ' AF_UNIX' : ''}`,
    'SystemCallArchitectures=native',
    'SystemCallFilter=@system-service',
    `SystemCallFilter=~@debug @mount @cpu-emulation @obsolete @raw-io @reboot @swap${selfChroot ? '' : ' @privileged'} @resources`,
    'SystemCallErrorNumber=EPERM',
    ...(needsLogSocket ? ['', `# syslog method ${logSocket}: the host's log socket, read-only, at the jail's /dev/log.`, 'BindReadOnlyPaths=/dev/log'] : []),
  ];
  return [
    `# ${recipe.name}.service: generated by jailwright ${ENGINE_VERSION} (export --format systemd) from ${loaded.file}`,
    `# for the jail at ${root}. Rebuild the jail with jailwright build; restart the unit to pick the new generation.`,
    '[Unit]',
    `Description=${literal(recipe.description ?? `${recipe.name} in its chroot jail`)}`,
    'After=network.target',
    `AssertPathIsDirectory=${literal(root)}`,
    '',
    '[Service]',
    ...service,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
