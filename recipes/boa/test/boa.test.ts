import { existsSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JAILWRIGHT_CLI, freeTcpPort, hostAccountEntry, makeJailParent, rememberAccount, runCommand } from '@jailwright/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boaRecipe, recipeFile, serviceUser } from '../src/index.js';
import { boaVersionOf } from './support/boa-version.js';

const BIN = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const isRoot = process.getuid?.() === 0;
const source = process.env.JAILWRIGHT_BOA_SOURCE;
if (!isRoot) console.warn('skipping the jailed Boa tests: they need root (chroot, a host account); CI runs them as root');
else if (!source) {
  console.warn(
    'skipping the Boa build-and-serve test: JAILWRIGHT_BOA_SOURCE is not set. Point it at a Boa 0.94.13 or 0.94.14rc21 tarball or tree ' +
      '(e.g. from github.com/ldoolitt/boa) to build Boa from source, jail it and ask it for pages.',
  );
}

/** The package's own command, as a user who installed only @jailwright/boa would run it. */
const jailwrightBoa = (...args: string[]) => runCommand(process.execPath, [BIN, ...args], { timeout: 120_000 });
/** Core's command, for recipes the tests generate. */
const jailwright = (...args: string[]) =>
  runCommand(process.execPath, [JAILWRIGHT_CLI, ...args], { timeout: 300_000, env: { ...process.env, ...(stateDirectory ? { JAILWRIGHT_STATE_DIR: stateDirectory } : {}) } });
/** Where `compile` records its builds during the source test (its own directory, not the host's /var/lib/jailwright). */
let stateDirectory: string | undefined;

/** One HTTP/1.0 request over a raw socket, so the test does not trust core's probe: status line and headers. */
async function request(port: number, method: 'HEAD' | 'GET', target: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(3000, () => socket.destroy(new Error(`no answer from 127.0.0.1:${port} in 3 s`)));
    socket.on('error', reject);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.\d (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body });
    });
    socket.write(`${method} ${target} HTTP/1.0\r\nHost: localhost\r\n\r\n`);
  });
}

describe('jailwright-boa', () => {
  it('teaches its commands with --help, and names its recipe', async () => {
    const help = await jailwrightBoa('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: jailwright-boa <command>/);
    expect(help.stdout).toContain('/srv/jails/boa');
    expect((await jailwrightBoa('recipe')).stdout.trim()).toBe(recipeFile);
    expect((await jailwrightBoa('frobnicate')).code).toBe(2);
  });

  it('plans without root: --dry-run lists boa.conf, mime.types and the directories', async () => {
    const plan = await jailwrightBoa('build', '--root', '/srv/jails/boa-plan', '--dry-run');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/write .* \/etc\/boa\/boa\.conf/);
    expect(plan.stdout).toMatch(/copy .* \/etc\/mime\.types/);
    expect(plan.stdout).toMatch(/mkdir +0755 \S+ +\/var\/log\/boa/);
  });
});

describe.skipIf(!isRoot)('jails that need root but no Boa source', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let account: ReturnType<typeof rememberAccount>;
  beforeAll(async () => {
    account = rememberAccount(serviceUser);
    ({ parent, cleanup } = await makeJailParent('jailwright-boa-test-'));
  });
  afterAll(async () => {
    await cleanup();
    await account.restore();
  });

  it('CGI with /bin/sh: the jail builds, and the audit names the shell that it hands an attacker', async () => {
    const file = path.join(parent, 'boa-cgi.yaml');
    await writeFile(file, boaRecipe({ cgiInterpreter: '/bin/sh', name: 'boa-cgi' }));
    const root = path.join(parent, 'boa-cgi');
    const built = await jailwright('build', file, '--root', root);
    expect(built.code, built.stderr).toBe(0);
    const audit = await jailwright('audit', root, '--recipe', file, '--json', '--fail-on', 'medium');
    expect(audit.code).toBe(1);
    const findings = (JSON.parse(audit.stdout) as { findings: { check: string; path: string }[] }).findings;
    expect(findings.filter((finding) => finding.check === 'shell').map((finding) => finding.path)).toContain('/usr/bin/dash');
  });
});

describe.skipIf(!isRoot || !source)('Boa built from JAILWRIGHT_BOA_SOURCE: jailed, serving, stopped', () => {
  let parent: string;
  let version: Awaited<ReturnType<typeof boaVersionOf>>;
  let prefix: string;
  let recipe: string;
  let root: string;
  let port: number;
  let cleanup: () => Promise<void>;
  let account: ReturnType<typeof rememberAccount>;
  beforeAll(async () => {
    account = rememberAccount(serviceUser);
    ({ parent, cleanup } = await makeJailParent('jailwright-boa-test-'));
    version = await boaVersionOf(source!);
    // The built programs go under a prefix of their own, and the compile record into the test's directory:
    // nothing of the host's /usr/local or /var/lib/jailwright is touched.
    prefix = `/opt/${path.basename(parent)}`;
    port = await freeTcpPort();
    root = path.join(parent, 'boa');
    recipe = path.join(parent, 'boa.yaml');
    await writeFile(recipe, boaRecipe({ version, binary: `${prefix}/sbin/boa`, indexer: `${prefix}/lib/boa/boa_indexer`, directoryListings: true, port }));
  });
  afterAll(async () => {
    if (root) await jailwright('stop', recipe, '--root', root);
    if (prefix) await rm(prefix, { recursive: true, force: true });
    await cleanup();
    await account.restore();
  });

  it('compiles with the recipe (its source edits reported), then answers HEAD / with 200 and a missing page with 404, from a jw-boa process rooted in the jail, and stops clean', async () => {
    stateDirectory = path.join(parent, 'state');
    const compiled = await jailwright('compile', recipe, '--source', source!, '--jobs', '2', '--log', path.join(parent, 'compile.log'));
    expect(compiled.code, compiled.stderr + compiled.stdout).toBe(0);
    expect(compiled.stdout).toContain(`compiled boa (profile default) into ${prefix}`);
    const log = readFileSync(path.join(parent, 'compile.log'), 'utf8');
    console.info(`compiled Boa ${version} from ${source}:\n${log.split('\n').filter((line) => line.startsWith('edit ')).join('\n') || '(no source edits)'}`);
    if (version === '0.94.13') expect(log).toMatch(/^edit src\/compat\.h: 2 replacements — /m);
    const build = await jailwright('build', recipe, '--root', root);
    expect(build.stderr).toBe('');
    expect(build.code).toBe(0);
    expect(build.stdout).toContain('audit: nothing above low');
    expect(existsSync(path.join(root, 'usr/bin/boa_indexer')), 'DirectoryMaker: boa_indexer in the jail').toBe(true);
    const entry = hostAccountEntry('/etc/passwd', serviceUser)!;

    const started = await jailwright('start', recipe, '--root', root);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);

    const head = await request(port, 'HEAD', '/');
    expect(head.status).toBe(200);
    expect(head.headers).toContain(`Server: Boa/${version}`);
    expect((await request(port, 'GET', '/')).body).toBe('<h1>Hello from a jailed Boa</h1>\n');
    expect((await request(port, 'GET', '/no-such-page.html')).status).toBe(404);
    expect((await request(port, 'GET', '/../../etc/shadow')).status).not.toBe(200);

    const check = await jailwright('check', recipe, '--root', root);
    expect(check.stdout).toContain('all probes passed');
    expect(check.code).toBe(0);

    const state = JSON.parse(readFileSync(path.join(parent, '.boa.jailwright/launch/state.json'), 'utf8')) as { service?: { pid: number } };
    const pid = state.service!.pid;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(status).toMatch(/^Name:\s+boa$/m);
    expect(status).toMatch(new RegExp(`^Uid:\\s+${entry[2]}\\s+${entry[2]}\\s+${entry[2]}\\s+${entry[2]}$`, 'm'));
    expect(status).toMatch(new RegExp(`^Gid:\\s+${entry[3]}\\s+${entry[3]}\\s+${entry[3]}\\s+${entry[3]}$`, 'm'));
    expect(status).toMatch(/^CapEff:\s+0+$/m);
    expect(readlinkSync(`/proc/${pid}/root`)).toBe(realpathSync(root));
    // Boa opened its logs as root before dropping: they are root's, and the service cannot write a directory of the jail.
    expect(readFileSync(path.join(root, 'var/log/boa/access_log'), 'utf8')).toMatch(/"GET \/no-such-page\.html HTTP\/1\.0" 404/);
    expect((await jailwright('audit', root, '--recipe', recipe)).code).toBe(0);

    expect((await jailwright('stop', recipe, '--root', root)).code).toBe(0);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  });
});
