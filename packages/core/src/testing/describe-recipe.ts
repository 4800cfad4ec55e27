import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditSeverity } from '../recipe/audit-schema.js';
import { loadRecipe, parseRecipe, type LoadedRecipe } from '../recipe/load.js';
import { normalizeRecipe } from '../recipe/normalize.js';
import { lintRecipe } from '../lint/lint-recipe.js';
import type { Plan } from '../plan/types.js';
import { processTree } from '../check/process-tree.js';
import { readProcessStatus, type ProcessStatus } from '../host/processes.js';
import { defaultJailRoot } from '../build-jail.js';
import { JAILWRIGHT_CLI, makeJailParent, runCommand, type CommandResult } from './helpers.js';
import { planSnapshot } from './plan-snapshot.js';

/** Runs a Node command line (a package's `dist/cli.js`, or core's) as a user would, without throwing on failure. */
export function commandRunner(script: string, prefix: readonly string[] = []): (...args: string[]) => Promise<CommandResult> {
  return (...args) => runCommand(process.execPath, [script, ...prefix, ...args], { timeout: 120_000 });
}


/** A service the kit started, handed to a recipe's own checks. */
export interface RunningService {
  /** The jail root. */
  root: string;
  /** PID of the service's main process. */
  pid: number;
  recipe: LoadedRecipe;
  /** Runs `jailwright <command> <recipe> …args` against this jail (`--root` is added). */
  jailwright(command: string, ...args: string[]): Promise<CommandResult>;
}

/**
 * Something the root tests need: a host file (a program installed from the distribution), or an environment
 * variable (a source to compile, which CI does not have). When one is missing the root tests skip, saying `install`.
 */
export type RecipeRequirement = { path: string; install: string } | { env: string; install: string };

/** What `prepare` made for the root tests. */
export interface PreparedRecipe {
  /** The recipe the root tests build instead of the package's (e.g. one naming the compiled prefix and a free port). */
  recipeFile?: string;
}

/** What `prepare` is handed. */
export interface PrepareContext {
  /** The scratch directory the jail is built in (removed afterwards). */
  parent: string;
  /** Runs core's command (timeout 10 minutes: compiles are slow on a loaded machine). */
  jailwright: (...args: string[]) => Promise<CommandResult>;
  /** Registers what to undo after the jail stopped (e.g. removing the compiled prefix), even if `prepare` then fails. */
  onCleanup: (cleanup: () => Promise<unknown>) => void;
}

/** How `describeRecipe` tests a recipe. */
export interface DescribeRecipeOptions {
  /**
   * The package's own command (its `bin`): its name and its built script. Given, the kit checks it as a user
   * meets it: `--help` teaches the commands and the default jail root, `recipe` prints the recipe file, and an
   * unknown command exits 2.
   */
  command?: { name: string; script: string };
  /** Lowest audit severity that fails (default "high", as `build` uses). */
  auditFailOn?: Exclude<AuditSeverity, 'low'>;
  /** What the root tests need (host files, environment variables); when one is missing they skip, saying what to do. */
  requires?: readonly RecipeRequirement[];
  /**
   * Runs once before the root build, as root, with every `requires` present: e.g. `jailwright compile` from the
   * source an environment variable names. Every command of the root tests runs with JAILWRIGHT_STATE_DIR in
   * `parent`, so `compile`'s record leaves the host's /var/lib/jailwright alone.
   */
  prepare?: (context: PrepareContext) => Promise<PreparedRecipe | void>;
  /** Where the plan snapshot is stored, relative to the test file (default `__snapshots__/<name>.plan.txt`). */
  planSnapshotFile?: string;
  /** The recipe's own checks while its service runs: the answer it gives, the log line it writes. */
  whileRunning?: (service: RunningService) => Promise<void>;
  /** The recipe's own checks on the built jail once the service stopped (e.g. starting it another way). */
  afterStop?: (jail: { root: string; recipe: LoadedRecipe; jailwright: RunningService['jailwright'] }) => Promise<void>;
}

/** Probes that exercise what the service does; a process probe only shows that it runs. */
const SERVICE_PROBES = new Set(['http', 'dns', 'smtp', 'tcp', 'log']);

const isRoot = process.getuid?.() === 0;

/**
 * Registers the standard tests of a recipe: schema valid and lint clean; a deterministic plan snapshot; the
 * package's command, when given; a probe of what the service does; and, as root, build (audit clean at
 * `auditFailOn`) → start → probes pass → every process non-root and rooted in the jail → stop leaves no
 * process, mount or supervisor behind.
 * Root tests build under /var/lib and bind the recipe's ports: run them under `flock /tmp/jailwright-e2e.lock`.
 */
export function describeRecipe(recipeFile: string, options: DescribeRecipeOptions = {}): void {
  const failOn = options.auditFailOn ?? 'high';
  const recipe = loadRecipeOnce(recipeFile);
  const name = recipe?.recipe.name ?? path.basename(path.dirname(recipeFile));
  const cli = commandRunner(JAILWRIGHT_CLI);

  describe(`recipe ${name}: schema, lint, plan, probes`, () => {
    it('is valid against the recipe schema', async () => {
      await expect(loadRecipe(recipeFile)).resolves.toBeDefined();
    });

    it('is lint clean', async () => {
      const { findings } = await lintRecipe(recipeFile);
      expect(findings.map((finding) => `${finding.line}:${finding.column}: ${finding.rule}: ${finding.message}`)).toEqual([]);
    });

    it('plans the same jail as its snapshot', async () => {
      const planned = await cli('build', recipeFile, '--root', `/srv/jails/${name}-plan`, '--dry-run', '--json');
      expect(planned.stderr).toBe('');
      expect(planned.code).toBe(0);
      const { plan } = JSON.parse(planned.stdout) as { plan: Plan };
      await expect(planSnapshot(plan)).toMatchFileSnapshot(options.planSnapshotFile ?? `__snapshots__/${name}.plan.txt`);
    });

    if (options.command) {
      const { name: bin, script } = options.command;
      const command = commandRunner(script);
      it(`${bin}: --help teaches its commands, recipe names its recipe, an unknown command exits 2`, async () => {
        const help = await command('--help');
        expect(help.code).toBe(0);
        expect(help.stdout).toContain(`Usage: ${bin} <command>`);
        expect(help.stdout).toContain(defaultJailRoot(name));
        expect((await command('recipe')).stdout.trim()).toBe(path.resolve(recipeFile));
        const unknown = await command('frobnicate');
        expect(unknown.stderr).toContain(`${bin}: unknown command "frobnicate"`);
        expect(unknown.code).toBe(2);
      });
    }

    it('has a probe of what the service does', () => {
      const probes = recipe?.recipe.probes ?? [];
      if (!probes.some((probe) => SERVICE_PROBES.has(probe.type))) {
        throw new Error(
          `write the probe: ${recipeFile} has no probe of what ${name} serves. Add one under probes: ` +
            '(http, dns, smtp, tcp, or a log line it writes; a process probe shows only that it runs). ' +
            'Until then this test fails and the build-to-stop test is skipped.',
        );
      }
    });
  });

  const skip = rootTestsSkipReason(recipe, options.requires ?? [], isRoot);
  if (skip) console.warn(`skipping the ${name} build-to-stop test: ${skip}`);

  describe.skipIf(skip !== undefined)(`recipe ${name} as root: build, start, probes, non-root in the jail, stop`, () => {
    let parent: string | undefined;
    let cleanupParent: (() => Promise<void>) | undefined;
    let root: string;
    let pids: number[] = [];
    let accountsBefore: { users: Set<string>; groups: Set<string> };
    let prepared: PreparedRecipe = {};
    const cleanups: (() => Promise<unknown>)[] = [];
    /** The recipe the root tests build: the package's, or the one `prepare` returned. */
    let active: LoadedRecipe | undefined = recipe;
    const core = (timeout: number, ...args: string[]) =>
      runCommand(process.execPath, [JAILWRIGHT_CLI, ...args], { timeout, env: { ...process.env, JAILWRIGHT_STATE_DIR: path.join(parent!, 'state') } });
    const coreCli = (...args: string[]) => core(120_000, ...args);
    const buildFile = () => prepared.recipeFile ?? recipeFile;
    const run = (command: string, ...args: string[]) => coreCli(command, buildFile(), '--root', root, ...args);

    beforeAll(async () => {
      accountsBefore = hostAccounts();
      ({ parent, cleanup: cleanupParent } = await makeJailParent(`jailwright-${name}-test-`));
      root = path.join(parent, name);
      if (options.prepare) {
        prepared = (await options.prepare({ parent, jailwright: (...args) => core(600_000, ...args), onCleanup: (cleanup) => cleanups.push(cleanup) })) ?? {};
        if (prepared.recipeFile) active = await loadRecipe(prepared.recipeFile);
      }
    });
    afterAll(async () => {
      if (root) await run('stop');
      for (const cleanup of cleanups.reverse()) await cleanup();
      await cleanupParent?.();
      // Only the recipe's accounts, and only if this test created them: an operator's own (a jail of theirs) stay.
      const after = hostAccounts();
      const named = new Set([...(active?.recipe.jail.users ?? []).map((user) => user.name), ...(active?.recipe.launch?.user ? [active.recipe.launch.user] : [])]);
      for (const user of named) if (after.users.has(user) && !accountsBefore.users.has(user)) await runCommand('userdel', [user]);
      for (const group of named) if (hostAccounts().groups.has(group) && !accountsBefore.groups.has(group)) await runCommand('groupdel', [group]);
    });

    it(`builds, and the audit finds nothing at ${failOn} or above`, async () => {
      const built = await run('build', '--audit-fail-on', failOn);
      expect(built.stderr).toBe('');
      expect(built.code).toBe(0);
      const audit = await coreCli('audit', root, '--recipe', buildFile(), '--fail-on', failOn, '--json');
      const report = JSON.parse(audit.stdout) as { findings: { severity: string; check: string; path: string; allowed?: unknown }[] };
      const failing = report.findings.filter((finding) => !finding.allowed && severityRank(finding.severity) >= severityRank(failOn));
      expect(failing).toEqual([]);
      expect(audit.code).toBe(0);
    });

    it('starts, and every probe passes', async () => {
      const started = await run('start');
      expect(started.stderr).toBe('');
      expect(started.code).toBe(0);
      // The launcher's Landlock scopes (no abstract unix sockets, no signals) hold for every recipe's service.
      expect(started.stdout).toMatch(/landlock: Landlock scopes abstract-unix-socket, signal in force/);
      const check = await run('check');
      expect(check.stdout).toContain('all probes passed');
      expect(check.code).toBe(0);
    });

    it('runs every process as a non-root account, without capabilities, rooted in the jail', async () => {
      const status = JSON.parse((await run('status', '--json')).stdout) as { servicePid?: number };
      expect(status.servicePid, 'status names the service PID').toBeTypeOf('number');
      pids = await processTree(status.servicePid!);
      const jail = realpathSync(root);
      for (const pid of pids) {
        // A child that exited since the listing (a per-connection process after check's probe session) is no
        // longer part of the service; the service itself must still be there.
        let fields: ProcessStatus | undefined;
        let rootLink: string | undefined;
        try {
          fields = readProcessStatus(pid);
          rootLink = fields && readlinkSync(`/proc/${pid}/root`);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
        if (!fields || rootLink === undefined) {
          expect(pid, 'the service process itself is still running').not.toBe(status.servicePid);
          continue;
        }
        expect(fields.uids.filter((uid) => uid === 0), `process ${pid} has no root id (real, effective, saved, filesystem)`).toEqual([]);
        expect(fields.capabilities.effective, `process ${pid} holds no capability`).toBe(0n);
        expect(rootLink, `process ${pid} is rooted in the jail`).toBe(jail);
      }
      if (options.whileRunning) {
        await options.whileRunning({ root, pid: status.servicePid!, recipe: active!, jailwright: (command, ...args) => run(command, ...args) });
      }
    });

    it('stops, leaving no process, mount or supervisor behind', async () => {
      const stopped = await run('stop');
      expect(stopped.code).toBe(0);
      const status = JSON.parse((await run('status', '--json')).stdout) as { state: string };
      expect(status.state).toBe('stopped');
      expect(pids.filter((pid) => existsSync(`/proc/${pid}`))).toEqual([]);
      const jail = realpathSync(root);
      const inJail = (target: string) => target === jail || target.startsWith(`${jail}/`);
      expect(processesRootedIn(inJail), 'no process is rooted in the jail').toEqual([]);
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((line) => line.split(' ')[4] ?? '').filter(inJail);
      expect(mounts, 'nothing is mounted in the jail').toEqual([]);
    });

    it.skipIf(!options.afterStop)("passes the recipe's own checks once stopped", async () => {
      await options.afterStop!({ root, recipe: active!, jailwright: (command, ...args) => run(command, ...args) });
    });
  });
}

/**
 * Why the root tests of a recipe cannot run here, or undefined when they can: not root, a required host file
 * missing or environment variable unset (with its `install` hint), or no probe of what the service does.
 */
export function rootTestsSkipReason(recipe: LoadedRecipe | undefined, requires: readonly RecipeRequirement[], asRoot: boolean): string | undefined {
  const missing = requires.filter((requirement) => ('env' in requirement ? !process.env[requirement.env] : !existsSync(requirement.path)));
  const what = (requirement: RecipeRequirement) => ('env' in requirement ? `${requirement.env} is not set` : `${requirement.path} is missing`);
  if (!asRoot) return 'it needs root (chroot, namespaces, host accounts); CI runs it as root';
  if (missing.length > 0) return missing.map((requirement) => `${what(requirement)} (${requirement.install})`).join('; ');
  if (!(recipe?.recipe.probes ?? []).some((probe) => SERVICE_PROBES.has(probe.type))) return 'the recipe has no probe of its service yet';
  return undefined;
}

/** The recipe, read synchronously (tests are registered synchronously); undefined when broken, which the schema test reports. */
function loadRecipeOnce(recipeFile: string): LoadedRecipe | undefined {
  try {
    const file = path.resolve(recipeFile);
    return { recipe: normalizeRecipe(parseRecipe(readFileSync(file, 'utf8'), recipeFile)), file, directory: path.dirname(file) };
  } catch {
    return undefined;
  }
}

function severityRank(severity: string): number {
  return ['low', 'medium', 'high', 'critical'].indexOf(severity);
}

function hostAccounts(): { users: Set<string>; groups: Set<string> } {
  const names = (file: string) => new Set(readFileSync(file, 'utf8').split('\n').map((line) => line.split(':')[0]!).filter(Boolean));
  return { users: names('/etc/passwd'), groups: names('/etc/group') };
}

function processesRootedIn(inJail: (target: string) => boolean): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (inJail(readlinkSync(`/proc/${entry}/root`))) found.push(Number(entry));
    } catch {
      // Gone meanwhile, or a kernel thread.
    }
  }
  return found;
}
