import { existsSync, readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { JAILWRIGHT_CLI, freeTcpPort, hostAccountEntry, makeJailParent, rememberAccount, runCommand } from '@jailwright/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipeFile, serviceUser, smtpdRecipe } from '../src/index.js';

const BIN = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const isRoot = process.getuid?.() === 0;
const source = process.env.JAILWRIGHT_SMTPD_SOURCE;
if (!isRoot) console.warn('skipping the jailed SMTPD test: it needs root (chroot, a host account); CI runs it as root');
else if (!source) {
  console.warn(
    'skipping the SMTPD build-and-deliver test: JAILWRIGHT_SMTPD_SOURCE is not set. Point it at a tarball or tree holding ' +
      "Obtuse SMTPD's smtpd.c, smtpfwdd.c and Makefile (OpenBSD's libexec/smtpd/src, or the FreeBSD port's smtpd 2.0 distfile).",
  );
}

/** The package's own command, as a user who installed only @jailwright/smtpd would run it. */
const jailwrightSmtpd = (...args: string[]) => runCommand(process.execPath, [BIN, ...args], { timeout: 120_000 });
/** Core's command, for recipes the tests generate. */
const jailwright = (...args: string[]) =>
  runCommand(process.execPath, [JAILWRIGHT_CLI, ...args], { timeout: 300_000, env: { ...process.env, ...(stateDirectory ? { JAILWRIGHT_STATE_DIR: stateDirectory } : {}) } });
/** Where `compile` records its builds during the source test (its own directory, not the host's /var/lib/jailwright). */
let stateDirectory: string | undefined;

/** One SMTP conversation over a raw socket, so the test does not trust core's probe: each reply's first line, in order. */
async function converse(port: number, commands: string[]): Promise<string[]> {
  const socket = connect(port, '127.0.0.1');
  socket.setEncoding('latin1');
  const replies: string[] = [];
  let buffer = '';
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no SMTP reply in 5 s (so far: ${replies.join(' | ')})`)), 5000);
      const take = () => {
        // A reply ends with a line "NNN text" (a space after the code); "NNN-text" lines continue it.
        const match = /^(\d{3}) .*\r?\n/m.exec(buffer);
        if (!match) return;
        socket.off('data', onData);
        clearTimeout(timer);
        const first = buffer.slice(0, buffer.indexOf('\n')).replace(/\r$/, '');
        buffer = buffer.slice(match.index + match[0].length);
        resolve(first);
      };
      const onData = (chunk: string) => {
        buffer += chunk;
        take();
      };
      socket.on('data', onData);
      take();
    });
  try {
    replies.push(await next());
    for (const command of commands) {
      socket.write(`${command}\r\n`);
      replies.push(await next());
    }
    return replies;
  } finally {
    socket.destroy();
  }
}

describe('jailwright-smtpd', () => {
  it('teaches its commands with --help, and names its recipe', async () => {
    const help = await jailwrightSmtpd('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: jailwright-smtpd <command>/);
    expect(help.stdout).toContain('/srv/jails/smtpd');
    expect((await jailwrightSmtpd('recipe')).stdout.trim()).toBe(recipeFile);
  });

  it('plans without root: --dry-run lists the spool and the resolver files', async () => {
    const plan = await jailwrightSmtpd('build', '--root', '/srv/jails/smtpd-plan', '--dry-run');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/mkdir +0700 \S+ +\/mqueue/);
    expect(plan.stdout).toMatch(/copy .* \/etc\/resolv\.conf/);
  });
});

// The mail agent is a sendmail-compatible script the test writes (named sendmail, so smtpfwdd adds -oiTrue):
// it records its argv and the message on stdin. No real MTA: none is installed here, and one would take port 25.
describe.skipIf(!isRoot || !source)('Obtuse SMTPD built from JAILWRIGHT_SMTPD_SOURCE: 220, HELO, a message spooled in the jail and handed to the mailer', () => {
  let parent: string;
  let root: string;
  let recipe: string;
  let delivered: string;
  let port: number;
  let prefix: string;
  let cleanup: () => Promise<void>;
  let account: ReturnType<typeof rememberAccount>;
  beforeAll(async () => {
    account = rememberAccount(serviceUser);
    ({ parent, cleanup } = await makeJailParent('jailwright-smtpd-test-'));
    root = path.join(parent, 'smtpd');
    delivered = path.join(parent, 'delivered');
    const agentDirectory = path.join(parent, 'agent');
    await mkdir(agentDirectory, { mode: 0o755 });
    const mailAgent = path.join(agentDirectory, 'sendmail');
    await writeFile(mailAgent, `#!/bin/sh\n{ printf '%s\\n' "$@"; echo ---; cat; } > ${delivered}/$$.txt\n`, { mode: 0o755 });
    port = await freeTcpPort();
    // The built programs go under a prefix of their own, and the compile record into the test's directory.
    prefix = `/opt/${path.basename(parent)}`;
    stateDirectory = path.join(parent, 'state');
    recipe = path.join(parent, 'smtpd.yaml');
    await writeFile(recipe, smtpdRecipe({ spoolDir: root, mailAgent, pollTime: 5, port, smtpd: `${prefix}/sbin/smtpd`, smtpfwdd: `${prefix}/sbin/smtpfwdd` }));
    const compiled = await jailwright('compile', recipe, '--source', source!, '--jobs', '2', '--log', path.join(parent, 'compile.log'));
    expect(compiled.code, compiled.stderr + compiled.stdout).toBe(0);
    console.info(`compiled Obtuse SMTPD from ${source}:\n${readFileSync(path.join(parent, 'compile.log'), 'utf8').split('\n').filter((line) => line.startsWith('edit ')).join('\n')}`);
  });
  afterAll(async () => {
    if (recipe) await jailwright('stop', recipe, '--root', root);
    if (prefix) await rm(prefix, { recursive: true, force: true });
    await cleanup();
    await account.restore();
  });

  it('takes a message over SMTP into the jail spool, smtpfwdd hands it to the mailer, and stop ends both', async () => {
    const build = await jailwright('build', recipe, '--root', root);
    expect(build.code, build.stderr).toBe(0);
    const entry = hostAccountEntry('/etc/passwd', serviceUser)!;
    await mkdir(delivered, { mode: 0o700 });
    await chown(delivered, Number(entry[2]), Number(entry[3]));

    const started = await jailwright('start', recipe, '--root', root);
    expect(started.code, started.stderr).toBe(0);

    const replies = await converse(port, ['EHLO client.example.test', 'HELO client.example.test', 'MAIL FROM:<alice@example.test>', 'RCPT TO:<bob@example.test>', 'DATA']);
    expect(replies[0]).toMatch(/^220 /);
    expect(replies[2]).toMatch(/^250 /);
    expect(replies.slice(3)).toEqual([expect.stringMatching(/^250 /), expect.stringMatching(/^250 /), expect.stringMatching(/^354 /)]);

    const state = JSON.parse(readFileSync(path.join(parent, '.smtpd.jailwright/launch/state.json'), 'utf8')) as { service: { pid: number }; companions: { name: string; pid: number }[] };
    expect(readlinkSync(`/proc/${state.service.pid}/root`)).toBe(realpathSync(root));
    expect(readFileSync(`/proc/${state.service.pid}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+${entry[2]}\\s`, 'm'));
    const companion = state.companions.find((entry) => entry.name === 'smtpfwdd')!;
    expect(readlinkSync(`/proc/${companion.pid}/root`)).toBe('/');
    expect(readFileSync(`/proc/${companion.pid}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+${entry[2]}\\s`, 'm'));

    const check = await jailwright('check', recipe, '--root', root);
    expect(check.stdout).toContain('all probes passed');

    const stopped = await jailwright('stop', recipe, '--root', root);
    expect(stopped.code).toBe(0);
    // smtpd is pid 1 of its pid namespace: without the recipe's SIGTERM handler the stop signal is ignored and the SIGKILL after the timeout ends it.
    expect(readFileSync(path.join(parent, '.smtpd.jailwright/launch/supervisor.log'), 'utf8')).not.toMatch(/outlived \d+ ms: SIGKILL/);
    expect(existsSync(`/proc/${companion.pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${companion.pid}/status`, 'utf8'))).toBe(false);
  });

  it('a message submitted lands in the spool, then reaches the mailer with -oiTrue -f <from> <rcpt> and its body', async () => {
    const restarted = await jailwright('start', recipe, '--root', root);
    expect(restarted.code, restarted.stderr + restarted.stdout).toBe(0);
    const body = `Subject: jailed\r\n\r\nhello from the test ${process.pid}\r\n.`;
    const socket = connect(port, '127.0.0.1');
    socket.setEncoding('latin1');
    let transcript = '';
    socket.on('data', (chunk: string) => (transcript += chunk));
    for (const line of ['HELO client.example.test', 'MAIL FROM:<alice@example.test>', 'RCPT TO:<bob@example.test>', 'DATA', body, 'QUIT']) {
      await sleep(300);
      socket.write(`${line}\r\n`);
    }
    await sleep(500);
    socket.destroy();
    expect(transcript).toMatch(/\r\n250 [^\r]*\r\n221 /);
    // smtpfwdd polls every 5 s: the complete message (mode 0750) sits in the jail's spool until then.
    const spooled = readdirSync(path.join(root, 'mqueue')).filter((name) => name.startsWith('smtpd'));
    expect(spooled.length + readdirSync(delivered).length, 'the message is in the spool or already delivered').toBeGreaterThan(0);

    let record = '';
    for (let waited = 0; waited < 15_000 && !record; waited += 250) {
      await sleep(250);
      const files = readdirSync(delivered);
      if (files.length > 0) record = readFileSync(path.join(delivered, files[0]!), 'utf8');
    }
    const [argv, stdin] = record.split('---\n');
    expect(argv!.trim().split('\n')).toEqual(['-oiTrue', '-f', '<alice@example.test>', '<bob@example.test>']);
    expect(stdin).toContain(`hello from the test ${process.pid}`);
    expect(stdin).toMatch(/^Received: from /m);
    expect(readdirSync(path.join(root, 'mqueue')).filter((name) => name.startsWith('smtpd'))).toEqual([]);
  });
});
