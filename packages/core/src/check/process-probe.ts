import { readlink, realpath } from 'node:fs/promises';
import { readHostAccounts, type HostAccounts } from '../host/accounts.js';
import { readProcessStatus, type ProcessStatus } from '../host/processes.js';
import type { ProcessProbe } from '../recipe/probe-schema.js';
import { describeFailure } from './deadline.js';
import type { ProbeContext, ProbeOutcome } from './probe-result.js';

interface Expected {
  label: string;
  uid: number;
  gid?: number;
}

function resolveAccount(probe: ProcessProbe, accounts: HostAccounts): Expected {
  const numeric = /^\d+$/.test(probe.user);
  const user = accounts.users.find((entry) => (numeric ? entry.uid === Number(probe.user) : entry.name === probe.user));
  if (!user && !numeric) throw new Error(`user ${JSON.stringify(probe.user)} does not exist on the host`);
  let gid = user?.gid;
  if (probe.group !== undefined) {
    const numericGroup = /^\d+$/.test(probe.group);
    const group = accounts.groups.find((entry) => (numericGroup ? entry.gid === Number(probe.group) : entry.name === probe.group));
    if (!group && !numericGroup) throw new Error(`group ${JSON.stringify(probe.group)} does not exist on the host`);
    gid = group?.gid ?? Number(probe.group);
  }
  const uid = user?.uid ?? Number(probe.user);
  return { label: `${probe.user} (uid ${uid}${gid === undefined ? '' : `, gid ${gid}`})`, uid, ...(gid === undefined ? {} : { gid }) };
}

const showIds = (ids: readonly number[]) => (new Set(ids).size === 1 ? String(ids[0]) : ids.join('/'));

/** What is wrong with one process (none when nothing is); `gone` when it has exited (or is a zombie) since the PIDs were listed. */
async function inspect(pid: number, expected: Expected, expectedRoot: string): Promise<{ problems: string[]; summary: string; gone?: true }> {
  const gone = { problems: [`pid ${pid} is not running`], summary: `pid ${pid} exited before it was checked`, gone: true as const };
  let status: ProcessStatus | undefined;
  let root: string;
  try {
    status = readProcessStatus(pid);
    if (!status) return gone;
    root = await readlink(`/proc/${pid}/root`);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ESRCH') return gone;
    const problem = `cannot be inspected: ${describeFailure(error)}`;
    return { problems: [`pid ${pid} ${problem}`], summary: `pid ${pid} ${problem}` };
  }
  const { uids, gids } = status;
  const problems: string[] = [];
  if (uids.some((id) => id === 0)) problems.push(`runs as root (uid ${showIds(uids)})`);
  else if (uids.some((id) => id !== expected.uid)) problems.push(`uid ${showIds(uids)}`);
  if (gids.some((id) => id === 0)) problems.push(`has group root (gid ${showIds(gids)})`);
  else if (expected.gid !== undefined && gids.some((id) => id !== expected.gid)) problems.push(`gid ${showIds(gids)}`);
  // The kernel shows a root outside this process's view (another mount namespace) as it sees it; realpath settles symlinks in between.
  const resolvedRoot = await realpath(root).catch(() => root);
  if (resolvedRoot !== expectedRoot) problems.push(`root ${resolvedRoot}`);
  const summary = `pid ${pid}: uid ${showIds(uids)}, gid ${showIds(gids)}, root ${resolvedRoot}`;
  return { problems: problems.map((problem) => `pid ${pid} ${problem}`), summary };
}

/** Every given process runs as the service user and group, never root, with its root in the jail. */
export async function checkProcess(probe: ProcessProbe, context: ProbeContext): Promise<ProbeOutcome> {
  const pids = probe.scope === 'children' ? (context.pids ?? []).slice(1) : (context.pids ?? []);
  const rootWanted = probe.root ?? context.root;
  let expected = `every process ${probe.scope === 'children' ? 'the service started' : 'of the service'} running as ${probe.user}${probe.group === undefined ? '' : `:${probe.group}`}, not root, with root ${rootWanted}`;
  if (pids.length === 0) {
    const actual = probe.scope === 'children' ? 'the service process has started no processes' : 'no PIDs given to check (pass the service process and its descendants)';
    return { ok: false, expected, actual };
  }
  let account: Expected;
  let expectedRoot: string;
  try {
    account = resolveAccount(probe, await readHostAccounts());
    expectedRoot = await realpath(rootWanted);
  } catch (error) {
    return { ok: false, expected, actual: describeFailure(error) };
  }
  expected = `pids ${pids.join(', ')} running as ${account.label}, not root, with root ${expectedRoot}`;
  const reports = await Promise.all(pids.map((pid) => inspect(pid, account, expectedRoot)));
  // A descendant that exited between the listing and now (a per-connection child whose client just left, as the
  // smtp probe's own is) runs as nobody any more: not a finding. The service process itself gone, or nothing left
  // to look at, still fails.
  const service = context.pids?.[0];
  const inspected = reports.filter((report) => !report.gone);
  const problems = reports.flatMap((report, index) => (report.gone && pids[index] !== service && inspected.length > 0 ? [] : report.problems));
  return problems.length === 0
    ? { ok: true, expected, actual: reports.map((report) => report.summary).join('; ') }
    : { ok: false, expected, actual: problems.join('; ') };
}
