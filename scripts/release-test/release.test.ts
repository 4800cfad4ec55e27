// The release test of issue 9, against a real local registry:
//   1. Verdaccio on 127.0.0.1 (a free port, a temp config and storage; @jailwright/* only from what we
//      publish, everything else through an uplink to the npm registry npm is configured with);
//   2. in a scratch clone of this repository (the working tree as it is, tracked and untracked files, so
//      nothing here is ever modified) the maintainer's own commands: `npm run version-packages`, then
//      `npm run release` (turbo build + changeset publish) against that registry;
//   3. for every recipe package (recipes/*), in empty directories with a clean npm cache each, ONLY that
//      package installed from that registry — globally and as a local dependency — and its command run
//      (--help, --version, a dry-run build); @jailwright/core comes along as its peer dependency;
//   4. a second release with only a core patch: recipes are not bumped, only core is published, and a
//      fresh install of the recipe gets the new core; a core minor does not bump recipes either (the
//      peer range `>=0.0.0 <1.0.0` with onlyUpdatePeerDependentsWhenOutOfRange), a core major does.
// Runs as any user; needs the npm registry and localhost, and this checkout built (`npm test` builds it
// first) for the kit's freeTcpPort. Verdaccio is stopped by its pid and every temp directory removed in afterAll.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeTcpPort } from '@jailwright/core/testing/helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const repo = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8' }).stdout.trim();
const require = createRequire(import.meta.url);

const RECIPE = '@jailwright/apache';
const BIN = 'jailwright-apache';
const CORE = '@jailwright/core';
const JAIL_ROOT = '/srv/jails/release-test';

interface RecipeFacts {
  /** The npm package, e.g. @jailwright/apache. */
  pkg: string;
  /** Its command, e.g. jailwright-apache. */
  bin: string;
  /** The recipe's name (recipe.yaml), as the plan names it. */
  name: string;
  /** The host files the recipe copies (jail.files, not optional): the plan lists them; missing → skip. */
  files: string[];
}

/** Every recipe package of the working tree (recipes/*), each installed alone from the registry below. */
const RECIPE_PACKAGES: RecipeFacts[] = readdirSync(join(repo, 'recipes'))
  .sort()
  .filter((dir) => existsSync(join(repo, 'recipes', dir, 'package.json')) && existsSync(join(repo, 'recipes', dir, 'recipe.yaml')))
  .map((dir) => {
    const json = JSON.parse(readFileSync(join(repo, 'recipes', dir, 'package.json'), 'utf8'));
    const recipe = parseYaml(readFileSync(join(repo, 'recipes', dir, 'recipe.yaml'), 'utf8')) ?? {};
    const files = ((recipe.jail?.files ?? []) as (string | { path: string; optional?: boolean })[])
      .filter((entry) => typeof entry === 'string' || !entry.optional)
      .map((entry) => (typeof entry === 'string' ? entry : entry.path));
    return { json, facts: { pkg: json.name, bin: Object.keys(json.bin ?? {})[0] ?? '', name: recipe.name, files } };
  })
  .filter(({ json, facts }) => json.private !== true && facts.bin !== '')
  .map(({ facts }) => facts);

let tmp = '';
let scratch = '';
let registry = '';
let verdaccio: ChildProcess | undefined;
let verdaccioLog = '';
let userconfig = '';
let installCount = 0;
const started = Date.now();

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (no shell); never throws. */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = baseEnv()): Result {
  const result = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 420_000 }); // a release builds every package: minutes on a shared, loaded machine
  if (result.error) throw result.error;
  return { code: result.status ?? 128, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a command that must succeed; on failure the error carries the end of its output. */
function must(cmd: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Result {
  const t0 = Date.now();
  const result = run(cmd, args, cwd, env);
  if (result.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${result.code}\n--- stdout\n${result.stdout.slice(-4000)}\n--- stderr\n${result.stderr.slice(-4000)}`);
  }
  console.log(`  ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s  ${cmd} ${args.join(' ')}`);
  return result;
}

/** must(), without blocking: for the installs that run side by side. */
function mustAsync(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${code}\n${output.slice(-4000)}`));
      console.log(`  ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s  ${cmd} ${args.join(' ')}`);
      resolve();
    });
  });
}

/**
 * The environment of every command: none of the calling npm's npm_* variables (npm test runs us), the
 * user's own npm configuration (the scratch clone installs as a developer or CI would).
 */
function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key) && value !== undefined) env[key] = value;
  return {
    ...env,
    NPM_CONFIG_LOGS_DIR: join(tmp, 'npm-logs'),
    NPM_CONFIG_UPDATE_NOTIFIER: 'false',
    NPM_CONFIG_FUND: 'false',
    NPM_CONFIG_AUDIT: 'false',
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    TURBO_TELEMETRY_DISABLED: '1',
    DO_NOT_TRACK: '1',
    GIT_AUTHOR_NAME: 'release test',
    GIT_AUTHOR_EMAIL: 'release-test@localhost',
    GIT_COMMITTER_NAME: 'release test',
    GIT_COMMITTER_EMAIL: 'release-test@localhost',
    ...extra,
  };
}

/**
 * npm against the local registry only: the user's and the global npmrc are replaced by ours (registry and
 * publisher token of the local Verdaccio), so no token of the user's can reach a public registry; `cache`
 * is a fresh directory unless given. changeset publish reads the registry from the lower-case
 * npm_config_registry only (npm reads either spelling).
 */
function registryEnv(cache = join(tmp, `cache-${++installCount}`)): NodeJS.ProcessEnv {
  return baseEnv({
    NPM_CONFIG_USERCONFIG: userconfig,
    NPM_CONFIG_GLOBALCONFIG: join(tmp, 'npmrc-global'),
    NPM_CONFIG_REGISTRY: registry,
    npm_config_registry: registry,
    NPM_CONFIG_CACHE: cache,
  });
}

function readJson<T = Record<string, any>>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

interface Workspace {
  dir: string;
  name: string;
  version: string;
  private: boolean;
  peerDependencies: Record<string, string>;
  bin: Record<string, string>;
}

/** The workspace packages of the scratch clone (packages/*, recipes/*). */
function workspaces(): Workspace[] {
  const found: Workspace[] = [];
  for (const group of ['packages', 'recipes']) {
    const base = join(scratch, group);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base).sort()) {
      const file = join(base, entry, 'package.json');
      if (!existsSync(file)) continue;
      const json = readJson(file);
      found.push({
        dir: join(base, entry),
        name: json.name,
        version: json.version,
        private: json.private === true,
        peerDependencies: json.peerDependencies ?? {},
        bin: typeof json.bin === 'string' ? { [json.name.split('/').pop()]: json.bin } : (json.bin ?? {}),
      });
    }
  }
  return found;
}

const recipes = (): Workspace[] => workspaces().filter((pkg) => pkg.dir.startsWith(join(scratch, 'recipes')) && !pkg.private);
const versionOf = (name: string): string => {
  const pkg = workspaces().find((candidate) => candidate.name === name);
  if (!pkg) throw new Error(`no workspace package ${name}`);
  return pkg.version;
};

type Bump = 'major' | 'minor' | 'patch';
const parse = (version: string): [number, number, number] => {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!match) throw new Error(`not a plain x.y.z version: ${version}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
};
const inc = (version: string, bump: Bump): string => {
  const [major, minor, patch] = parse(version);
  if (bump === 'major') return `${major + 1}.0.0`;
  if (bump === 'minor') return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
};

/** The pending changesets of the scratch clone: package name → highest bump asked for. */
function pendingBumps(): Map<string, Bump> {
  const order: Bump[] = ['patch', 'minor', 'major'];
  const bumps = new Map<string, Bump>();
  for (const file of readdirSync(join(scratch, '.changeset'))) {
    if (!file.endsWith('.md') || file === 'README.md') continue;
    const front = /^---\n([\s\S]*?)\n---/.exec(readFileSync(join(scratch, '.changeset', file), 'utf8'))?.[1] ?? '';
    for (const line of front.split('\n')) {
      const match = /^\s*["']?([^"':]+)["']?\s*:\s*(major|minor|patch)\s*$/.exec(line);
      if (!match) continue;
      const [, name, bump] = match as unknown as [string, string, Bump];
      const before = bumps.get(name);
      if (!before || order.indexOf(bump) > order.indexOf(before)) bumps.set(name, bump);
    }
  }
  return bumps;
}

function writeChangeset(id: string, bumps: Record<string, Bump>, summary: string): void {
  const lines = Object.entries(bumps).map(([name, bump]) => `"${name}": ${bump}`);
  writeFileSync(join(scratch, '.changeset', `${id}.md`), `---\n${lines.join('\n')}\n---\n\n${summary}\n`);
}

/** Does `version` satisfy a range made of `>=a.b.c` / `<a.b.c` / `^a.b.c` / `*` comparators (all this repo uses)? */
function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  const cmp = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
  return range.split('||').some((part) =>
    part
      .trim()
      .split(/\s+/)
      .every((comparator) => {
        if (comparator === '*' || comparator === '') return true;
        const match = /^(>=|<=|>|<|\^|~|=)?(\d+\.\d+\.\d+)$/.exec(comparator);
        if (!match) throw new Error(`range comparator not understood by the release test: ${comparator}`);
        const [, op = '=', bound] = match;
        const b = parse(bound!);
        const c = cmp(v, b);
        if (op === '>=') return c >= 0;
        if (op === '<=') return c <= 0;
        if (op === '>') return c > 0;
        if (op === '<') return c < 0;
        if (op === '=') return c === 0;
        if (op === '~') return c >= 0 && v[0] === b[0] && v[1] === b[1];
        // ^: same leftmost non-zero part
        if (c < 0) return false;
        if (b[0] !== 0) return v[0] === b[0];
        if (b[1] !== 0) return v[0] === 0 && v[1] === b[1];
        return v[0] === 0 && v[1] === 0 && v[2] === b[2];
      }),
  );
}

async function startVerdaccio(): Promise<void> {
  const port = await freeTcpPort();
  registry = `http://127.0.0.1:${port}/`;
  // The uplink for third-party dependencies is the registry npm is configured with here.
  const upstream = run('npm', ['config', 'get', 'registry'], tmp).stdout.trim();
  if (!/^https?:\/\//.test(upstream)) throw new Error(`npm config get registry said "${upstream}"`);
  const config = join(tmp, 'verdaccio', 'config.yaml');
  mkdirSync(dirname(config), { recursive: true });
  writeFileSync(
    config,
    [
      `storage: ${JSON.stringify(join(tmp, 'verdaccio', 'storage'))}`,
      `plugins: ${JSON.stringify(join(tmp, 'verdaccio', 'plugins'))}`,
      'web:',
      '  enable: false',
      'auth:',
      '  htpasswd:',
      `    file: ${JSON.stringify(join(tmp, 'verdaccio', 'htpasswd'))}`,
      '    max_users: 10',
      'uplinks:',
      '  upstream:',
      `    url: ${JSON.stringify(upstream)}`,
      '    timeout: 60s',
      '    maxage: 30m',
      'packages:',
      "  '@jailwright/*':", // only what this test publishes: no proxy, so nothing of ours comes from outside
      '    access: $all',
      '    publish: $authenticated',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      '    proxy: upstream',
      'log:',
      '  type: stdout',
      '  format: pretty',
      '  level: warn',
      '',
    ].join('\n'),
  );
  const bin = join(dirname(require.resolve('verdaccio/package.json')), 'bin', 'verdaccio');
  verdaccio = spawn(process.execPath, [bin, '--config', config, '--listen', `127.0.0.1:${port}`], {
    cwd: tmp,
    env: baseEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  verdaccio.stdout?.on('data', (chunk) => (verdaccioLog += chunk));
  verdaccio.stderr?.on('data', (chunk) => (verdaccioLog += chunk));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (verdaccio.exitCode !== null) throw new Error(`verdaccio exited ${verdaccio.exitCode}:\n${verdaccioLog}`);
    try {
      const response = await fetch(`${registry}-/ping`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`verdaccio did not answer on ${registry} within 30 s:\n${verdaccioLog}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // A publisher account, as a CI secret would hold: npm's own adduser request, the token into .npmrc.
  const response = await fetch(`${registry}-/user/org.couchdb.user:release-test`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'release-test', password: 'release-test-password', email: 'release-test@localhost', type: 'user', roles: [], date: new Date().toISOString() }),
  });
  const body = (await response.json()) as { token?: string };
  if (!response.ok || !body.token) throw new Error(`verdaccio refused the publisher account: ${response.status} ${JSON.stringify(body)}`);
  writeFileSync(userconfig, `registry=${registry}\n//127.0.0.1:${port}/:_authToken=${body.token}\n`);
}

async function stopVerdaccio(): Promise<void> {
  const child = verdaccio;
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.pid && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** A scratch clone holding the working tree as it is now (modified and untracked files, deletions). */
function cloneWorkingTree(): void {
  scratch = join(tmp, 'scratch');
  must('git', ['clone', '--quiet', '--no-hardlinks', repo, scratch], tmp);
  const listed = (args: string[]) => run('git', ['ls-files', '-z', ...args], repo).stdout.split('\0').filter(Boolean);
  const deleted = new Set(listed(['--deleted']));
  for (const file of listed(['--cached', '--others', '--exclude-standard'])) {
    if (deleted.has(file)) continue;
    const from = join(repo, file);
    // node_modules is the scratch clone's own (`npm ci` below): a node_modules symlink, which .gitignore's
    // `node_modules/` does not match, would let that npm ci empty the one it points to.
    if (file.split('/').includes('node_modules')) continue;
    if (!existsSync(from) || lstatSync(from).isDirectory()) continue; // a submodule or a vanished file
    if (lstatSync(from).isSymbolicLink()) {
      const target = resolvePath(dirname(from), readlinkSync(from));
      if (target !== repo && !target.startsWith(`${repo}/`)) continue; // nothing in the scratch may lead out of it
    }
    mkdirSync(dirname(join(scratch, file)), { recursive: true });
    cpSync(from, join(scratch, file), { verbatimSymlinks: true, preserveTimestamps: true });
  }
  for (const file of deleted) rmSync(join(scratch, file), { force: true });
  must('git', ['add', '-A'], scratch);
  must('git', ['commit', '--quiet', '--allow-empty', '--no-verify', '-m', 'release test: the working tree'], scratch);
}

/** Commits what the last step changed in the scratch clone, as a maintainer merges the version PR. */
function commitScratch(message: string): void {
  must('git', ['add', '-A'], scratch);
  must('git', ['commit', '--quiet', '--allow-empty', '--no-verify', '-m', message], scratch);
}

function view(spec: string, field: string): any {
  const result = run('npm', ['view', spec, field, '--json'], tmp, registryEnv(join(tmp, 'cache-view')));
  if (result.code !== 0) return undefined;
  return result.stdout.trim() ? JSON.parse(result.stdout) : undefined;
}

/** The recipe's command as installed: --help, --version (the core it came with), a dry-run build. */
function checkCommand(recipe: RecipeFacts, bin: string, coreVersion: string, label: string): void {
  const help = run(bin, ['--help'], tmp);
  expect(help.code, `${label}: ${recipe.bin} --help\n${help.stderr}`).toBe(0);
  expect(help.stdout).toContain(`Usage: ${recipe.bin} <command>`);
  expect(help.stdout).toContain('build [--root DIR] [--dry-run] [--json]');

  const version = run(bin, ['--version'], tmp);
  expect(version.code, `${label}: ${recipe.bin} --version\n${version.stderr}`).toBe(0);
  expect(version.stdout.trim()).toBe(coreVersion); // the command runs the core it was installed with

  const missing = recipe.files.filter((file) => !existsSync(file));
  if (missing.length > 0) {
    console.log(`  ${label}: skipped "${recipe.bin} build --dry-run": ${missing.join(', ')} not installed on this host (CI installs scripts/debian-packages.txt)`);
    return;
  }
  const existed = existsSync(JAIL_ROOT);
  const plan = run(bin, ['build', '--dry-run', '--root', JAIL_ROOT], tmp);
  expect(plan.code, `${label}: ${recipe.bin} build --dry-run\n${plan.stdout}\n${plan.stderr}`).toBe(0);
  expect(plan.stdout).toContain(`Plan for ${recipe.name} in ${JAIL_ROOT}`);
  for (const file of recipe.files) expect(plan.stdout, `${label}: the plan copies ${file}`).toContain(file);
  expect(existsSync(JAIL_ROOT), 'a dry run writes nothing').toBe(existed);
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'jailwright-release-'));
  userconfig = join(tmp, 'npmrc');
  writeFileSync(userconfig, '');
  writeFileSync(join(tmp, 'npmrc-global'), '');
  console.log(`release test: temp ${tmp}`);
  await startVerdaccio();
  console.log(`release test: verdaccio pid ${verdaccio?.pid} on ${registry}`);
  cloneWorkingTree();
  // Nothing may name another registry to publish to: the release would leave this test's registry.
  for (const pkg of workspaces()) {
    const publishConfig = readJson(join(pkg.dir, 'package.json')).publishConfig ?? {};
    const named = Object.keys(publishConfig).filter((key) => /registry$/.test(key));
    if (named.length > 0) throw new Error(`${pkg.name}: publishConfig names ${named.join(', ')}; the release test will not publish there`);
  }
  // The scratch clone's own install, as CI's `npm ci`, with the user's npm configuration and cache;
  // into a node_modules of its own only.
  if (run('test', ['-e', join(scratch, 'node_modules'), '-o', '-L', join(scratch, 'node_modules')], tmp).code === 0) {
    throw new Error(`${scratch}/node_modules exists before npm ci; refusing to let npm ci empty it`);
  }
  must('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], scratch);
});

afterAll(async () => {
  await stopVerdaccio();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  console.log(`release test: verdaccio stopped, temp removed, ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
});

describe('release to a real local registry', () => {
  let coreVersion = '';
  let recipeVersion = '';

  it('npm run version-packages consumes the pending changesets; a core release inside the peer range bumps no recipe major', () => {
    const bumps = pendingBumps();
    if (bumps.size === 0) {
      writeChangeset('release-test', { [CORE]: 'patch', [RECIPE]: 'patch' }, 'Release test changeset.');
      bumps.set(CORE, 'patch').set(RECIPE, 'patch');
    }
    const before = new Map(workspaces().map((pkg) => [pkg.name, pkg]));
    must('npm', ['run', 'version-packages'], scratch);

    const remaining = readdirSync(join(scratch, '.changeset')).filter((file) => file.endsWith('.md') && file !== 'README.md');
    expect(remaining, 'every pending changeset is consumed').toEqual([]);

    coreVersion = versionOf(CORE);
    const coreBump = bumps.get(CORE);
    expect(coreVersion).toBe(coreBump ? inc(before.get(CORE)!.version, coreBump) : before.get(CORE)!.version);

    const lock = readJson(join(scratch, 'package-lock.json'));
    for (const pkg of workspaces()) {
      const old = before.get(pkg.name)!;
      const own = bumps.get(pkg.name);
      const range = old.peerDependencies[CORE];
      if (range && satisfies(coreVersion, range)) {
        // Core stays inside the recipe's peer range: the recipe moves only by its own changesets, and its
        // range is left as it was (changesets would otherwise rewrite it and force a major).
        expect(pkg.version, `${pkg.name}: only its own changesets move it`).toBe(own ? inc(old.version, own) : old.version);
        expect(pkg.peerDependencies[CORE], `${pkg.name}: peer range untouched`).toBe(range);
      }
      if (pkg.version !== old.version) {
        expect(readFileSync(join(pkg.dir, 'CHANGELOG.md'), 'utf8'), `${pkg.name}: CHANGELOG written`).toContain(`## ${pkg.version}`);
      }
      const lockKey = pkg.dir.slice(scratch.length + 1);
      expect(lock.packages?.[lockKey]?.version, `${lockKey}: package-lock.json follows the new version`).toBe(pkg.version);
    }
    recipeVersion = versionOf(RECIPE);
    expect(parse(recipeVersion)[0], `${RECIPE} keeps major 0`).toBe(parse(before.get(RECIPE)!.version)[0]);
    commitScratch('Version packages');
  });

  it('npm run release (turbo build, changeset publish) publishes every package to the local registry', () => {
    const release = must('npm', ['run', 'release'], scratch, registryEnv(join(tmp, 'cache-publish')));
    const output = release.stdout + release.stderr;
    for (const pkg of workspaces().filter((candidate) => !candidate.private)) {
      expect(output, `${pkg.name} published`).toContain(`${pkg.name}@${pkg.version}`);
      expect(view(`${pkg.name}@${pkg.version}`, 'version'), `${pkg.name}@${pkg.version} on the local registry`).toBe(pkg.version);
      expect(view(pkg.name, 'dist-tags.latest')).toBe(pkg.version);
      // npm publishes the manifest as written: nothing for npm to "auto-correct" (run `npm pkg fix`).
      const bin = readJson(join(pkg.dir, 'package.json')).bin;
      if (bin) expect.soft(view(`${pkg.name}@${pkg.version}`, 'bin'), `${pkg.name}: npm rewrote "bin" when publishing; write it as npm does (npm pkg fix)`).toEqual(bin);
    }
    const tags = must('git', ['tag', '--list'], scratch).stdout.split('\n');
    for (const pkg of workspaces().filter((candidate) => !candidate.private)) {
      const spec = `${pkg.name}@${pkg.version}`;
      // Recipes are published with their peer range on core as written (and no runtime dependency on it).
      if (pkg.peerDependencies[CORE]) {
        expect(view(spec, 'peerDependencies'), `${spec}: peerDependencies`).toEqual(pkg.peerDependencies);
        expect(view(spec, 'dependencies')?.[CORE], `${spec}: core only as a peer`).toBeUndefined();
      }
      // The published tarballs hold what runs and nothing else.
      const pack = JSON.parse(must('npm', ['pack', spec, '--dry-run', '--json'], tmp, registryEnv(join(tmp, 'cache-view'))).stdout) as { files: { path: string }[] }[];
      const files = pack[0]!.files.map((file) => file.path);
      const stray = files.filter((file) => !/^(dist\/|schema\/|templates\/|variants\/[^/]+\.yaml$|recipe\.yaml$|README\.md$|CHANGELOG\.md$|LICENSE|package\.json$)/.test(file));
      expect(stray, `${spec}: files outside dist, schema, templates, recipe.yaml, variants/*.yaml, README, CHANGELOG`).toEqual([]);
      expect(files).toContain('README.md');
      expect(files).toContain('CHANGELOG.md');
      // changeset publish tags each release in git (the release job pushes the tags).
      expect(tags, `git tag ${spec}`).toContain(spec);
    }
    expect(view(`${RECIPE}@${recipeVersion}`, 'bin')).toEqual({ [BIN]: 'dist/cli.js' });
  });

  it('every recipe package is installed alone, globally and as a local dependency, each with a clean npm cache', async () => {
    // Side by side: each install is its own npm with its own empty cache and its own empty directory.
    await Promise.all(
      RECIPE_PACKAGES.flatMap((recipe) => {
        const short = recipe.pkg.split('/')[1]!;
        const emptyGlobal = join(tmp, `empty-global-${short}`);
        const project = join(tmp, `empty-local-${short}`);
        mkdirSync(emptyGlobal);
        mkdirSync(project);
        return [
          mustAsync('npm', ['install', '--global', '--prefix', join(tmp, `global-${short}`), recipe.pkg], emptyGlobal, registryEnv()),
          mustAsync('npm', ['install', recipe.pkg], project, registryEnv()),
        ];
      }),
    );
  });

  for (const recipe of RECIPE_PACKAGES) {
    const short = recipe.pkg.split('/')[1]!;

    it(`only ${recipe.pkg}, installed globally from the registry, runs ${recipe.bin}; core came as its peer`, () => {
      const version = versionOf(recipe.pkg);
      const prefix = join(tmp, `global-${short}`);
      const installed = join(prefix, 'lib', 'node_modules');
      expect(readdirSync(installed), 'one top-level package').toEqual(['@jailwright']);
      expect(readdirSync(join(installed, '@jailwright')), `only ${recipe.pkg} was asked for`).toEqual([short]);
      expect(readJson(join(installed, '@jailwright', short, 'package.json')).version).toBe(version);
      // Core came along as the recipe's peer dependency, inside the recipe's own tree.
      expect(readJson(join(installed, '@jailwright', short, 'node_modules', '@jailwright', 'core', 'package.json')).version).toBe(coreVersion);
      expect(readdirSync(join(prefix, 'bin'))).toEqual([recipe.bin]);
      checkCommand(recipe, join(prefix, 'bin', recipe.bin), coreVersion, 'global');
    });

    it(`only ${recipe.pkg}, installed as a local dependency from the registry, runs ${recipe.bin}; core came as its peer`, () => {
      const version = versionOf(recipe.pkg);
      const project = join(tmp, `empty-local-${short}`);
      expect(Object.keys(readJson(join(project, 'package.json')).dependencies ?? {})).toEqual([recipe.pkg]);
      const lock = readJson(join(project, 'package-lock.json'));
      expect(lock.packages[`node_modules/${recipe.pkg}`].version).toBe(version);
      // npm records core as installed for a peer dependency, not as something the project asked for.
      expect(lock.packages['node_modules/@jailwright/core']).toMatchObject({ version: coreVersion, peer: true });
      checkCommand(recipe, join(project, 'node_modules', '.bin', recipe.bin), coreVersion, 'local');
    });
  }

  it('a second release with only a core patch bumps and publishes core alone; a fresh recipe install gets it', () => {
    const before = new Map(workspaces().map((pkg) => [pkg.name, pkg]));
    writeChangeset('release-test-core-patch', { [CORE]: 'patch' }, 'Release test: a core patch.');
    must('npm', ['run', 'version-packages'], scratch);
    const patched = versionOf(CORE);
    expect(patched).toBe(inc(coreVersion, 'patch'));
    for (const recipe of recipes()) {
      expect(recipe.version, `${recipe.name} not bumped by a core patch`).toBe(before.get(recipe.name)!.version);
      expect(recipe.peerDependencies).toEqual(before.get(recipe.name)!.peerDependencies);
    }
    commitScratch('Version packages (core patch)');

    const release = must('npm', ['run', 'release'], scratch, registryEnv(join(tmp, 'cache-publish')));
    expect(release.stdout + release.stderr).toContain(`${CORE}@${patched}`);
    expect(view(CORE, 'versions')).toEqual(expect.arrayContaining([coreVersion, patched]));
    expect(view(RECIPE, 'versions')).toEqual([recipeVersion]);

    const project = join(tmp, 'empty-after-patch');
    mkdirSync(project);
    must('npm', ['install', RECIPE], project, registryEnv());
    expect(readJson(join(project, 'node_modules', '@jailwright', 'core', 'package.json')).version).toBe(patched);
    expect(readJson(join(project, 'node_modules', '@jailwright', 'apache', 'package.json')).version).toBe(recipeVersion);
    const version = run(join(project, 'node_modules', '.bin', BIN), ['--version'], tmp);
    expect(version.stdout.trim()).toBe(patched);
  });

  it('a core minor stays inside the recipes\u2019 peer range and bumps no recipe; a core major bumps every recipe\u2019s major', () => {
    const before = new Map(workspaces().map((pkg) => [pkg.name, pkg]));
    const core = versionOf(CORE);

    writeChangeset('release-test-core-minor', { [CORE]: 'minor' }, 'Release test: a core minor.');
    must('npx', ['changeset', 'version'], scratch);
    expect(versionOf(CORE)).toBe(inc(core, 'minor'));
    for (const recipe of recipes()) {
      expect(satisfies(versionOf(CORE), before.get(recipe.name)!.peerDependencies[CORE]!)).toBe(true);
      expect(recipe.version, `${recipe.name} not bumped by a core minor inside its range`).toBe(before.get(recipe.name)!.version);
      expect(recipe.peerDependencies).toEqual(before.get(recipe.name)!.peerDependencies);
    }
    must('git', ['reset', '--quiet', '--hard'], scratch);
    must('git', ['clean', '--quiet', '-fd', '.changeset'], scratch);

    writeChangeset('release-test-core-major', { [CORE]: 'major' }, 'Release test: a core major.');
    must('npx', ['changeset', 'version'], scratch);
    expect(versionOf(CORE)).toBe(inc(core, 'major'));
    for (const recipe of recipes()) {
      expect(recipe.version, `${recipe.name}: core leaving its peer range is a recipe major`).toBe(inc(before.get(recipe.name)!.version, 'major'));
      console.log(`  core ${versionOf(CORE)}: ${recipe.name} ${recipe.version}, peer range now "${recipe.peerDependencies[CORE]}"`);
    }
    must('git', ['reset', '--quiet', '--hard'], scratch);
    must('git', ['clean', '--quiet', '-fd', '.changeset'], scratch);
  });
});
