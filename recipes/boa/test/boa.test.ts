import { existsSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JAILWRIGHT_CLI, commandRunner, describeRecipe, freeTcpPort, hostAccountEntry, makeJailParent, rememberAccount } from '@jailwright/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boaRecipe, recipeFile, serviceUser } from '../src/index.js';
import { boaVersionOf } from './support/boa-version.js';

const isRoot = process.getuid?.() === 0;
const source = process.env.JAILWRIGHT_BOA_SOURCE;

/** The package's own command, as a user who installed only @jailwright/boa would run it. */
const command = { name: 'jailwright-boa', script: fileURLToPath(new URL('../dist/cli.js', import.meta.url)) };
const jailwrightBoa = commandRunner(command.script);
/** Core's command, for recipes the tests generate. */
const jailwright = commandRunner(JAILWRIGHT_CLI);

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

/** What the source test compiled: the release (for the Server header) and the port the test picked. */
let compiled: { version: Awaited<ReturnType<typeof boaVersionOf>>; port: number } | undefined;

// The standard tests; the root part compiles Boa from JAILWRIGHT_BOA_SOURCE first (CI has no source, so it skips
// there, saying so) and builds a recipe naming the compiled prefix and a port the test picks.
describeRecipe(recipeFile, {
  command,
  auditFailOn: 'medium',
  requires: [
    {
      env: 'JAILWRIGHT_BOA_SOURCE',
      install: 'point it at a Boa 0.94.13 or 0.94.14rc21 tarball or tree, e.g. from github.com/ldoolitt/boa, to build Boa from source, jail it and ask it for pages',
    },
  ],
  async prepare({ parent, jailwright: core, onCleanup }) {
    const version = await boaVersionOf(source!);
    // The built programs go under a prefix of their own, and the compile record into the test's directory:
    // nothing of the host's /usr/local or /var/lib/jailwright is touched.
    const prefix = `/opt/${path.basename(parent)}`;
    const port = await freeTcpPort();
    const recipe = path.join(parent, 'boa.yaml');
    await writeFile(recipe, boaRecipe({ version, binary: `${prefix}/sbin/boa`, indexer: `${prefix}/lib/boa/boa_indexer`, directoryListings: true, port }));
    onCleanup(() => rm(prefix, { recursive: true, force: true }));
    const compile = await core('compile', recipe, '--source', source!, '--jobs', '2', '--log', path.join(parent, 'compile.log'));
    if (compile.code !== 0) throw new Error(`jailwright compile failed (exit ${compile.code}):\n${compile.stderr}${compile.stdout}`);
    expect(compile.stdout).toContain(`compiled boa (profile default) into ${prefix}`);
    const log = readFileSync(path.join(parent, 'compile.log'), 'utf8');
    console.info(`compiled Boa ${version} from ${source}:\n${log.split('\n').filter((line) => line.startsWith('edit ')).join('\n') || '(no source edits)'}`);
    if (version === '0.94.13') expect(log).toMatch(/^edit src\/compat\.h: 2 replacements — /m);
    compiled = { version, port };
    return { recipeFile: recipe };
  },
  // Boa's own proof, over a raw socket: HEAD / with 200 from Boa, the page, 404 for a missing one, no way out
  // of the document root, the access log written in the jail, and the process dropped to jw-boa.
  async whileRunning({ root, pid }) {
    const { version, port } = compiled!;
    expect(existsSync(path.join(root, 'usr/bin/boa_indexer')), 'DirectoryMaker: boa_indexer in the jail').toBe(true);
    const head = await request(port, 'HEAD', '/');
    expect(head.status).toBe(200);
    expect(head.headers).toContain(`Server: Boa/${version}`);
    expect((await request(port, 'GET', '/')).body).toBe('<h1>Hello from a jailed Boa</h1>\n');
    expect((await request(port, 'GET', '/no-such-page.html')).status).toBe(404);
    expect((await request(port, 'GET', '/../../etc/shadow')).status).not.toBe(200);
    const entry = hostAccountEntry('/etc/passwd', serviceUser)!;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(status).toMatch(/^Name:\s+boa$/m);
    expect(status).toMatch(new RegExp(`^Uid:\\s+${entry[2]}\\s+${entry[2]}\\s+${entry[2]}\\s+${entry[2]}$`, 'm'));
    expect(status).toMatch(new RegExp(`^Gid:\\s+${entry[3]}\\s+${entry[3]}\\s+${entry[3]}\\s+${entry[3]}$`, 'm'));
    // Boa opened its logs as root before dropping: they are root's, and the service cannot write a directory of the jail.
    expect(readFileSync(path.join(root, 'var/log/boa/access_log'), 'utf8')).toMatch(/"GET \/no-such-page\.html HTTP\/1\.0" 404/);
  },
});
