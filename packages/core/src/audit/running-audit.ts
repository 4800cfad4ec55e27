import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { ExitCode, type ExitCodeValue } from '../errors.js';
import { CHROOT_STEP_CAPABILITIES } from '../launch/launch-command.js';
import { readServiceStatus, resolveServiceIdentity, resolveTarget, type ServiceTarget } from '../launch/service-control.js';
import { readJson, type LaunchState } from '../launch/launch-state.js';
import { KNOWN_CAPABILITIES, type NormalizedLaunch } from '../recipe/launch-schema.js';
import { describeLandlockScope, type LandlockScopeStatus } from '../launch/landlock-scope.js';
import { reachesSeverity, type AuditSeverity } from './finding.js';
import { readProcessStatus } from '../host/processes.js';

/** The version of `audit --running --json` output; bumped on any incompatible change. */
export const RUNNING_AUDIT_SCHEMA_VERSION = 1;

/** The checks of a live service, each with the severity of its failure (`--fail-on` compares against it). */
export const RUNNING_CHECKS = {
  'non-root': 'critical',
  identity: 'high',
  'no-new-privs': 'high',
  capabilities: 'critical',
  'bounding-set': 'high',
  groups: 'high',
  namespaces: 'high',
  descriptors: 'critical',
  root: 'critical',
  cwd: 'critical',
  'landlock-scope': 'medium',
} as const satisfies Record<string, AuditSeverity>;

/** The name of a runtime check. */
export type RunningCheckName = keyof typeof RUNNING_CHECKS;

/** One check of one live process, passed or failed, with what was seen. */
export interface RunningCheck {
  pid: number;
  check: RunningCheckName;
  severity: AuditSeverity;
  ok: boolean;
  detail: string;
}

/** What the jailed processes must look like from /proc. */
export interface RunningExpectation {
  /** Real path of the jail generation the service runs in. */
  jailRoot: string;
  uid?: number | undefined;
  gid?: number | undefined;
  groups?: number[] | undefined;
  /** Capabilities a process may hold (self-chroot services may keep some); engine-chroot: none. */
  capabilities: readonly string[];
  /** Capabilities the bounding set may hold. */
  bounding: readonly string[];
  net: boolean;
}

/** Capability names in a /proc capability mask, by their bit number (unknown bits as cap_N). */
export function capabilityNames(mask: bigint): string[] {
  const names: string[] = [];
  for (let bit = 0; bit < 64; bit++) if (mask & (1n << BigInt(bit))) names.push(KNOWN_CAPABILITIES[bit] ?? `cap_${bit}`);
  return names;
}

function within(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}/`);
}

/** Checks one live process against the expectation, from /proc only. */
export function auditProcess(pid: number, expected: RunningExpectation): RunningCheck[] {
  const checks: RunningCheck[] = [];
  const add = (check: RunningCheckName, ok: boolean, detail: string) => checks.push({ pid, check, severity: RUNNING_CHECKS[check], ok, detail });
  const status = readProcessStatus(pid);
  if (!status) throw new Error(`pid ${pid} is not running`);
  const { uids, gids, capabilities } = status;
  add('non-root', !uids.includes(0) && !gids.includes(0), `uids ${uids.join(' ')}, gids ${gids.join(' ')}`);
  if (expected.uid !== undefined && expected.gid !== undefined) {
    add('identity', uids.every((id) => id === expected.uid) && gids.every((id) => id === expected.gid), `runs as ${uids[0]}:${gids[0]}, the recipe says ${expected.uid}:${expected.gid}`);
  }
  add('no-new-privs', status.noNewPrivs, status.noNewPrivs ? 'NoNewPrivs 1: setuid files and file capabilities cannot raise its privileges' : 'NoNewPrivs 0: exec of a setuid file would raise its privileges');
  const held = new Set([capabilities.effective, capabilities.permitted, capabilities.inheritable, capabilities.ambient].flatMap(capabilityNames));
  const extra = [...held].filter((name) => !expected.capabilities.includes(name));
  add('capabilities', extra.length === 0, held.size === 0 ? 'holds no capabilities' : `holds ${[...held].join(', ')}${extra.length ? `; not declared: ${extra.join(', ')}` : ''}`);
  const bounding = capabilityNames(capabilities.bounding).filter((name) => !expected.bounding.includes(name));
  add('bounding-set', bounding.length === 0, bounding.length === 0 ? `bounding set within ${expected.bounding.join(', ') || '(none)'}` : `bounding set also holds ${bounding.join(', ')}`);
  if (expected.groups) {
    const groups = [...status.groups].sort((a, b) => a - b);
    const wanted = [...expected.groups].sort((a, b) => a - b);
    add('groups', JSON.stringify(groups) === JSON.stringify(wanted), `supplementary groups [${groups.join(', ')}], the recipe names [${wanted.join(', ')}]`);
  }
  const shared = ['mnt', 'pid', 'ipc', 'uts', ...(expected.net ? ['net'] : [])].filter((namespace) => statSync(`/proc/${pid}/ns/${namespace}`).ino === statSync(`/proc/self/ns/${namespace}`).ino);
  add('namespaces', shared.length === 0, shared.length === 0 ? 'own mount, pid, ipc, uts namespaces' + (expected.net ? ' and network namespace' : '') : `shares the host's ${shared.join(', ')} namespace${shared.length > 1 ? 's' : ''}`);
  const outside: string[] = [];
  for (const name of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${name}`);
    } catch {
      continue;
    }
    // A directory outside the jail is a way out (fchdir, openat); sockets, pipes and files inside are the service's own.
    if (target.startsWith('/') && !within(target, expected.jailRoot) && statSync(`/proc/${pid}/fd/${name}`, { throwIfNoEntry: false })?.isDirectory()) outside.push(`${name} -> ${target}`);
  }
  add('descriptors', outside.length === 0, outside.length === 0 ? 'no descriptor of a directory outside the jail' : `descriptors of directories outside the jail: ${outside.join(', ')}`);
  const root = readlinkSync(`/proc/${pid}/root`);
  add('root', root === expected.jailRoot, `root ${root}${root === expected.jailRoot ? '' : `, expected ${expected.jailRoot}`}`);
  const cwd = readlinkSync(`/proc/${pid}/cwd`);
  add('cwd', within(cwd, expected.jailRoot), `cwd ${cwd}`);
  return checks;
}

/**
 * Whether the service runs under the launcher's Landlock scopes. /proc does not show a Landlock domain, so this
 * reads what `start` recorded in the launch state; the scope step fails closed, so a running service has them.
 */
export function landlockCheck(pid: number, landlock: LandlockScopeStatus | undefined, net: boolean): RunningCheck {
  const check = { pid, check: 'landlock-scope', severity: RUNNING_CHECKS['landlock-scope'] } as const;
  if (!landlock) return { ...check, ok: false, detail: 'no Landlock record in the launch state: the service was started by a jailwright without Landlock scoping; restart it' };
  if (landlock.inForce) return { ...check, ok: true, detail: `${describeLandlockScope(landlock)}, as recorded at launch: no abstract unix socket and no signal reaches outside the jail` };
  if (net) return { ...check, ok: true, detail: `not in force (${landlock.problem ?? 'unknown reason'}), but the service's own network namespace keeps the host's abstract sockets out of reach` };
  return { ...check, ok: false, detail: describeLandlockScope(landlock) };
}

/** The host PIDs of every process in the pid namespace whose init is `servicePid` (the service and all it started). */
export function processesOfService(servicePid: number): number[] {
  const namespace = statSync(`/proc/${servicePid}/ns/pid`).ino;
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (statSync(`/proc/${name}/ns/pid`).ino === namespace) pids.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids.sort((a, b) => a - b);
}

/** What the recipe's launch section promises about the live processes. */
export async function expectationFor(launch: NormalizedLaunch, jailRoot: string): Promise<RunningExpectation> {
  const identity = await resolveServiceIdentity(launch).catch(() => undefined);
  const engine = launch.mode === 'engine-chroot';
  return {
    jailRoot,
    uid: identity?.uid,
    gid: identity?.gid,
    groups: identity?.groups,
    capabilities: engine ? [] : launch.capabilities,
    bounding: engine ? [...new Set([...CHROOT_STEP_CAPABILITIES, ...launch.capabilities])] : launch.capabilities,
    net: launch.namespaces.net,
  };
}

/** The report of `audit --running`. */
export interface RunningAuditReport {
  schemaVersion: typeof RUNNING_AUDIT_SCHEMA_VERSION;
  recipe: string;
  root: string;
  running: boolean;
  jailRoot?: string | undefined;
  pids: number[];
  checks: RunningCheck[];
  /** Failed checks, whatever their severity. */
  failed: number;
  /** The lowest severity that fails the audit. */
  failOn: AuditSeverity;
  /** Failed checks at or above `failOn`: the audit fails (exit 1) when this is not 0. */
  failing: number;
}

/**
 * `jailwright audit --running <recipe>`: checks the live service and everything it started from /proc.
 * Exit 1 when a failed check reaches `failOn` (default high), 3 when it is not running.
 */
export async function runRunningAudit(
  target: ServiceTarget,
  options: { json?: boolean | undefined; failOn?: AuditSeverity | undefined } = {},
): Promise<{ report: RunningAuditReport; output: string; exitCode: ExitCodeValue }> {
  const failOn = options.failOn ?? 'high';
  const { loaded, root, files } = await resolveTarget(target);
  const status = readServiceStatus(loaded.recipe.name, root, files);
  const state = readJson<LaunchState>(files.state);
  const base = { schemaVersion: RUNNING_AUDIT_SCHEMA_VERSION, recipe: loaded.recipe.name, root } as const;
  const launch = loaded.recipe.launch;
  if (status.state !== 'running' || status.servicePid === undefined || !state || !launch) {
    const report: RunningAuditReport = { ...base, running: false, pids: [], checks: [], failed: 0, failOn, failing: 0 };
    const output = options.json ? `${JSON.stringify(report, null, 2)}\n` : `${loaded.recipe.name}: not running (${status.state}); nothing to audit\n`;
    return { report, output, exitCode: ExitCode.environment };
  }
  const expected = await expectationFor(launch, state.jailRoot);
  const pids = processesOfService(status.servicePid);
  const checks: RunningCheck[] = [];
  for (const pid of pids) {
    try {
      checks.push(...auditProcess(pid, expected));
    } catch {
      // The process ended while it was read.
    }
  }
  checks.push(landlockCheck(status.servicePid, state.landlock, launch.namespaces.net));
  const failedChecks = checks.filter((check) => !check.ok);
  const failing = failedChecks.filter((check) => reachesSeverity(check.severity, failOn)).length;
  const failed = failedChecks.length;
  const report: RunningAuditReport = { ...base, running: true, jailRoot: state.jailRoot, pids, checks, failed, failOn, failing };
  const output = options.json
    ? `${JSON.stringify(report, null, 2)}\n`
    : [
        `${loaded.recipe.name}: ${pids.length} process${pids.length === 1 ? '' : 'es'} in ${state.jailRoot}`,
        ...checks.map((check) => `  ${check.ok ? 'ok  ' : 'FAIL'} pid ${check.pid} ${check.check}${check.ok ? '' : ` (${check.severity})`}: ${check.detail}`),
        failed === 0
          ? 'every check passed'
          : `${failed} check${failed === 1 ? '' : 's'} failed, ${failing} at or above --fail-on ${failOn}${failing === 0 ? ': the audit passes' : ''}`,
        '',
      ].join('\n');
  return { report, output, exitCode: failing === 0 ? ExitCode.ok : ExitCode.findings };
}
