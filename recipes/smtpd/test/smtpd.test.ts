import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { commandRunner, describeRecipe, freeTcpPort, hostAccountEntry } from '@jailwright/core/testing';
import { describe, expect, it } from 'vitest';
import { recipeFile, serviceUser, smtpdRecipe } from '../src/index.js';

const source = process.env.JAILWRIGHT_SMTPD_SOURCE;

/** The package's own command, as a user who installed only @jailwright/smtpd would run it. */
const command = { name: 'jailwright-smtpd', script: fileURLToPath(new URL('../dist/cli.js', import.meta.url)) };
const jailwrightSmtpd = commandRunner(command.script);

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
  it('plans without root: --dry-run lists the spool and the resolver files', async () => {
    const plan = await jailwrightSmtpd('build', '--root', '/srv/jails/smtpd-plan', '--dry-run');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/mkdir +0700 \S+ +\/mqueue/);
    expect(plan.stdout).toMatch(/copy .* \/etc\/resolv\.conf/);
  });
});

/** What the source test set up: the port it picked and where the test's mail agent records what it is handed. */
let setup: { port: number; delivered: string } | undefined;
/** smtpfwdd's PID while the service ran: the companion runs outside the jail, so the kit's stop test does not see it. */
let companionPid: number | undefined;

// The standard tests; the root part compiles SMTPD from JAILWRIGHT_SMTPD_SOURCE first (CI has no source, so it
// skips there, saying so) and builds a recipe naming the compiled prefix, a port the test picks and the test's mail agent.
// The mail agent is a sendmail-compatible script the test writes (named sendmail, so smtpfwdd adds -oiTrue):
// it records its argv and the message on stdin. No real MTA: none is installed here, and one would take port 25.
describeRecipe(recipeFile, {
  command,
  requires: [
    {
      env: 'JAILWRIGHT_SMTPD_SOURCE',
      install: "point it at a tarball or tree holding Obtuse SMTPD's smtpd.c, smtpfwdd.c and Makefile (OpenBSD's libexec/smtpd/src, or the FreeBSD port's smtpd 2.0 distfile)",
    },
  ],
  async prepare({ parent, jailwright, onCleanup }) {
    const root = path.join(parent, 'smtpd');
    const delivered = path.join(parent, 'delivered');
    const agentDirectory = path.join(parent, 'agent');
    await mkdir(agentDirectory, { mode: 0o755 });
    const mailAgent = path.join(agentDirectory, 'sendmail');
    await writeFile(mailAgent, `#!/bin/sh\n{ printf '%s\\n' "$@"; echo ---; cat; } > ${delivered}/$$.txt\n`, { mode: 0o755 });
    const port = await freeTcpPort();
    // The built programs go under a prefix of their own (the compile record goes to the kit's state directory).
    const prefix = `/opt/${path.basename(parent)}`;
    const recipe = path.join(parent, 'smtpd.yaml');
    await writeFile(recipe, smtpdRecipe({ spoolDir: root, mailAgent, pollTime: 5, port, smtpd: `${prefix}/sbin/smtpd`, smtpfwdd: `${prefix}/sbin/smtpfwdd` }));
    onCleanup(() => rm(prefix, { recursive: true, force: true }));
    const compiled = await jailwright('compile', recipe, '--source', source!, '--jobs', '2', '--log', path.join(parent, 'compile.log'));
    if (compiled.code !== 0) throw new Error(`jailwright compile failed (exit ${compiled.code}):\n${compiled.stderr}${compiled.stdout}`);
    console.info(`compiled Obtuse SMTPD from ${source}:\n${readFileSync(path.join(parent, 'compile.log'), 'utf8').split('\n').filter((line) => line.startsWith('edit ')).join('\n')}`);
    setup = { port, delivered };
    return { recipeFile: recipe };
  },
  // SMTPD's own proof while it runs: 220, EHLO refused and HELO taken, MAIL, RCPT, DATA; smtpd as jw-smtpd, and
  // smtpfwdd outside the jail as the same account.
  async whileRunning({ root, pid }) {
    const { port, delivered } = setup!;
    const entry = hostAccountEntry('/etc/passwd', serviceUser)!;
    await mkdir(delivered, { mode: 0o700 });
    await chown(delivered, Number(entry[2]), Number(entry[3]));

    const replies = await converse(port, ['EHLO client.example.test', 'HELO client.example.test', 'MAIL FROM:<alice@example.test>', 'RCPT TO:<bob@example.test>', 'DATA']);
    expect(replies[0]).toMatch(/^220 /);
    expect(replies[2]).toMatch(/^250 /);
    expect(replies.slice(3)).toEqual([expect.stringMatching(/^250 /), expect.stringMatching(/^250 /), expect.stringMatching(/^354 /)]);

    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+${entry[2]}\\s`, 'm'));
    const state = JSON.parse(readFileSync(path.join(path.dirname(root), '.smtpd.jailwright/launch/state.json'), 'utf8')) as { companions: { name: string; pid: number }[] };
    const companion = state.companions.find((candidate) => candidate.name === 'smtpfwdd')!;
    companionPid = companion.pid;
    expect(readlinkSync(`/proc/${companion.pid}/root`)).toBe('/');
    expect(readFileSync(`/proc/${companion.pid}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+${entry[2]}\\s`, 'm'));
  },
  // Once stopped: stop ended smtpd by SIGTERM (not the SIGKILL after the timeout) and the companion with it; then a
  // restart right after the session works, and a message submitted lands in the jail's spool and reaches the mail
  // agent with -oiTrue -f <from> <rcpt> and its body.
  async afterStop({ root, jailwright }) {
    const { port, delivered } = setup!;
    // smtpd is pid 1 of its pid namespace: without the recipe's SIGTERM handler the stop signal is ignored and the SIGKILL after the timeout ends it.
    expect(readFileSync(path.join(path.dirname(root), '.smtpd.jailwright/launch/supervisor.log'), 'utf8')).not.toMatch(/outlived \d+ ms: SIGKILL/);
    expect(companionPid, 'the running test saw smtpfwdd').toBeTypeOf('number');
    expect(existsSync(`/proc/${companionPid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${companionPid}/status`, 'utf8'))).toBe(false);

    const restarted = await jailwright('start');
    expect(restarted.code, restarted.stderr + restarted.stdout).toBe(0);
    try {
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
    } finally {
      expect((await jailwright('stop')).code).toBe(0);
    }
  },
});
