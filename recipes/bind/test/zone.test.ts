import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { JAILWRIGHT_CLI, commandRunner, freeTcpUdpPort, makeJailParent, rememberAccount } from '@jailwright/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceUser } from '../src/index.js';

const execFileAsync = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const haveNamed = existsSync('/usr/sbin/named');
const haveDig = existsSync('/usr/bin/dig');
if (!isRoot) console.warn("skipping the user's-zone test: it needs root (chroot, namespaces, a host account); CI runs it as root");
else if (!haveNamed || !haveDig) console.warn("skipping the user's-zone test: it needs bind9 and dig (apt-get install -y bind9 bind9-dnsutils; .ci/run does)");

/** The package's own command, as a user who installed only @jailwright/bind would run it. */
const jailwrightBind = commandRunner(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));
/** Core's own command: a user's recipe that extends @jailwright/bind is built with it. */
const jailwright = commandRunner(JAILWRIGHT_CLI);

/** dig's answer, read by dig (a real client, not core's probe): the flags line and the answer records. */
async function dig(port: number, name: string, type: string): Promise<{ authoritative: boolean; status: string; answers: string[] }> {
  const { stdout } = await execFileAsync('dig', [`@127.0.0.1`, '-p', String(port), '+norecurse', '+time=2', '+tries=1', name, type]);
  const status = /status: (\w+)/.exec(stdout)?.[1] ?? 'none';
  const flags = /;; flags: ([a-z ]+);/.exec(stdout)?.[1]?.split(' ') ?? [];
  const section = stdout.split(';; ANSWER SECTION:\n')[1]?.split('\n\n')[0] ?? '';
  const answers = section.split('\n').filter(Boolean).map((line) => line.split(/\s+/).slice(4).join(' '));
  return { authoritative: flags.includes('aa'), status, answers };
}

describe('jailwright-bind options', () => {
  it('refuses a zone name that is not a DNS name, and an unknown option, with exit 2', async () => {
    const badZone = await jailwrightBind('build', '--root', '/srv/jails/bind-plan', '--dry-run', '--option', 'zone=../../etc');
    expect(badZone.code).toBe(2);
    expect(badZone.stderr).toContain('option zone: "../../etc" does not match');
    const unknown = await jailwrightBind('build', '--root', '/srv/jails/bind-plan', '--dry-run', '--option', 'zones=example.org');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown option "zones" (did you mean "zone"?)');
  });

  it('takes a whole zone file with zoneFile=@FILE, and the zone name from the command line', async () => {
    const directory = await mkdtemp('/tmp/jailwright-bind-zonefile-');
    try {
      const zoneText = '$TTL 60\n@ IN SOA ns hostmaster 7 60 60 60 60\n  IN NS ns\nns IN A 127.0.0.1\nwhole IN A 198.51.100.9\n';
      await writeFile(path.join(directory, 'db.example.net'), zoneText);
      const plan = await jailwrightBind('build', '--root', '/srv/jails/bind-plan', '--dry-run', '--json', '--option', 'zone=example.net', '--option', `zoneFile=@${directory}/db.example.net`);
      expect(plan.code).toBe(0);
      const operations = (JSON.parse(plan.stdout) as { plan: { operations: Array<{ path?: string; content?: string }> } }).plan.operations;
      expect(operations.find((operation) => operation.path === '/etc/bind/db.example.net')?.content).toBe(zoneText);
      expect(operations.find((operation) => operation.path === '/etc/bind/named.conf')?.content).toContain('zone "example.net" {\n  type primary;\n  file "/etc/bind/db.example.net";');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!isRoot || !haveNamed || !haveDig)("the user's zone, from the user's own recipe, on a port the test picks", () => {
  let parent: string;
  let root: string;
  let port: number;
  let cleanup: () => Promise<void>;
  // Only what this test created is removed afterwards: an operator's own account is left alone.
  let account: ReturnType<typeof rememberAccount>;
  beforeAll(async () => {
    account = rememberAccount(serviceUser);
    ({ parent, cleanup } = await makeJailParent('jailwright-bind-zone-test-'));
    root = path.join(parent, 'bind');
    port = await freeTcpUdpPort();
  });
  afterAll(async () => {
    await jailwrightBind('stop', '--root', root);
    await cleanup();
    await account.restore();
  });

  it('answers authoritatively with a record only that zone has, and nothing for the default test zone', async () => {
    // The user's own recipe extends the package's and chooses the zone; the port comes from the command line.
    const zone = 'jailwright-user.test';
    const mine = path.join(parent, 'my-dns.yaml');
    await writeFile(
      mine,
      `specVersion: 1\nextends: "@jailwright/bind"\nwith:\n  zone: ${zone}\n  records: |\n    only-here  IN A    198.51.100.77\n    only-here  IN TXT  "served from the jail"\n`,
    );
    const built = await jailwright('build', mine, '--root', root, '--option', `port=${port}`);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    expect(readFileSync(path.join(root, `etc/bind/db.${zone}`), 'utf8')).toContain('only-here  IN A    198.51.100.77');

    const started = await jailwright('start', mine, '--root', root);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);

    expect(await dig(port, `only-here.${zone}`, 'A')).toEqual({ authoritative: true, status: 'NOERROR', answers: ['198.51.100.77'] });
    expect(await dig(port, `only-here.${zone}`, 'TXT')).toEqual({ authoritative: true, status: 'NOERROR', answers: ['"served from the jail"'] });
    // The default zone is not served: named is not authoritative for it and, with recursion off, refuses.
    expect((await dig(port, 'www.example.test', 'A')).status).toBe('REFUSED');

    // check follows the options the jail was built with: the SOA of the user's zone, on the picked port.
    const check = await jailwright('check', mine, '--root', root);
    expect(check.stdout).toContain(`ok   dns SOA ${zone} @127.0.0.1:${port}: SOA ns.${zone}.`);
    expect(check.stdout).toContain('all probes passed');
    expect(check.code).toBe(0);

    const state = JSON.parse(readFileSync(path.join(parent, '.bind.jailwright/launch/state.json'), 'utf8')) as { service?: { pid: number } };
    const pid = state.service?.pid as number;
    expect((await jailwright('stop', mine, '--root', root)).code).toBe(0);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  });
});
