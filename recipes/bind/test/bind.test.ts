import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandRunner, describeRecipe } from '@jailwright/core/testing';
import { describe, expect, it } from 'vitest';
import { recipeFile, serviceUser } from '../src/index.js';

/** The package's own command, as a user who installed only @jailwright/bind runs it. */
const command = { name: 'jailwright-bind', script: fileURLToPath(new URL('../dist/cli.js', import.meta.url)) };
const jailwrightBind = commandRunner(command.script);

/**
 * One DNS question over UDP, written out here rather than through core's probe, so the test does not
 * trust the code it checks: the AA bit and the A records of the answer section.
 */
async function askA(port: number, name: string): Promise<{ authoritative: boolean; rcode: number; addresses: string[] }> {
  const id = Math.floor(Math.random() * 0xffff);
  const question = Buffer.concat([
    ...name.split('.').map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'ascii')])),
    Buffer.from([0, 0, 1, 0, 1]), // root label, QTYPE A, QCLASS IN
  ]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(1, 4); // QDCOUNT; RD clear: an authoritative server is asked, not a resolver
  const socket = createSocket('udp4');
  try {
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no DNS answer from 127.0.0.1:${port} in 3 s`)), 3000);
      socket.on('error', reject);
      socket.on('message', (message) => {
        if (message.readUInt16BE(0) !== id) return;
        clearTimeout(timer);
        resolve(message);
      });
      socket.send(Buffer.concat([header, question]), port, '127.0.0.1');
    });
    const flags = reply.readUInt16BE(2);
    const answers = reply.readUInt16BE(6);
    let offset = 12 + question.length;
    const addresses: string[] = [];
    for (let index = 0; index < answers; index += 1) {
      // NAME: a compression pointer (two bytes) or labels ending in a zero byte.
      while (reply[offset] !== 0 && (reply[offset]! & 0xc0) !== 0xc0) offset += reply[offset]! + 1;
      offset += reply[offset] === 0 ? 1 : 2;
      const type = reply.readUInt16BE(offset);
      const length = reply.readUInt16BE(offset + 8);
      if (type === 1 && length === 4) addresses.push([...reply.subarray(offset + 10, offset + 14)].join('.'));
      offset += 10 + length;
    }
    return { authoritative: (flags & 0x0400) !== 0, rcode: flags & 0x000f, addresses };
  } finally {
    socket.close();
  }
}

describeRecipe(recipeFile, {
  command,
  requires: [{ path: '/usr/sbin/named', install: 'apt-get install -y bind9; .ci/run does' }],
  async whileRunning({ root, pid }) {
    const answer = await askA(5353, 'www.example.test');
    expect(answer).toEqual({ authoritative: true, rcode: 0, addresses: ['192.0.2.1'] });

    // named dropped to the recipe's own account (created by the build), not merely to some non-root id.
    const account = readFileSync('/etc/passwd', 'utf8').split('\n').map((line) => line.split(':')).find((fields) => fields[0] === serviceUser);
    expect(account, `build creates the host account ${serviceUser}`).toBeDefined();
    const [uid, gid] = [account![2]!, account![3]!];
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(status).toMatch(/^Name:\s+named$/m);
    expect(status).toMatch(new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, 'm'));
    expect(status).toMatch(new RegExp(`^Gid:\\s+${gid}\\s+${gid}\\s+${gid}\\s+${gid}$`, 'm'));
    // The directories named writes are the service account's alone, and it wrote its pid there.
    expect(readFileSync(path.join(root, 'run/named/named.pid'), 'utf8').trim()).toMatch(/^\d+$/);
  },
  // The exported systemd unit's identity, tolerated: systemd cannot run units here (not PID 1), so the unit's
  // User=, AmbientCapabilities=, CapabilityBoundingSet= and NoNewPrivileges= are applied by setpriv, and
  // named chroots itself (-t) into the jail the kit built.
  async afterStop({ root, jailwright }) {
    const unitFile = path.join(path.dirname(root), 'bind.service');
    expect((await jailwright('export', '--format', 'systemd', '--out', unitFile)).code).toBe(0);
    const unit = readFileSync(unitFile, 'utf8');
    const directive = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(unit)?.[1] ?? '';
    expect(directive('User')).toBe(serviceUser);
    expect(directive('NoNewPrivileges')).toBe('yes');
    const capabilities = directive('AmbientCapabilities').split(' ').map((name) => name.replace(/^CAP_/, '').toLowerCase());
    expect(capabilities).toEqual(directive('CapabilityBoundingSet').split(' ').map((name) => name.replace(/^CAP_/, '').toLowerCase()));
    const caps = capabilities.map((name) => `+${name}`).join(',');
    const named = spawn(
      'setpriv',
      [`--reuid=${serviceUser}`, `--regid=${serviceUser}`, '--clear-groups', `--inh-caps=-all,${caps}`, `--ambient-caps=-all,${caps}`, `--bounding-set=-all,${caps}`, '--no-new-privs', '--',
        '/usr/sbin/named', '-f', '-u', serviceUser, '-t', realpathSync(root), '-c', '/etc/bind/named.conf'],
      { stdio: 'ignore' },
    );
    try {
      let answer: Awaited<ReturnType<typeof askA>> | undefined;
      for (let attempt = 0; attempt < 50 && !answer; attempt += 1) {
        answer = await askA(5353, 'www.example.test').catch(async () => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          return undefined;
        });
      }
      expect(answer).toEqual({ authoritative: true, rcode: 0, addresses: ['192.0.2.1'] });
      expect(readlinkSync(`/proc/${named.pid}/root`)).toBe(realpathSync(root));
      // The answer came from this named, not another one on the port: it holds the socket bound to 127.0.0.1:5353.
      const sockets = new Set(readdirSync(`/proc/${named.pid}/fd`).map((fd) => /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${named.pid}/fd/${fd}`))?.[1]));
      const bound = readFileSync('/proc/net/udp', 'utf8').split('\n').filter((line) => / 0100007F:14E9 /.test(line)).map((line) => line.trim().split(/\s+/)[9]);
      expect(bound.some((inode) => sockets.has(inode))).toBe(true);
    } finally {
      named.kill('SIGTERM');
      await new Promise((resolve) => named.once('exit', resolve));
    }
  },
});

describe('jailwright-bind', () => {
  it('plans without root: --dry-run lists named, its config and zone, and the service-owned directories', async () => {
    const plan = await jailwrightBind('build', '--root', '/srv/jails/bind-plan', '--dry-run');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/copy .* \/usr\/sbin\/named/);
    expect(plan.stdout).toMatch(/write .* \/etc\/bind\/named\.conf/);
    expect(plan.stdout).toMatch(/write .* \/etc\/bind\/db\.example\.test/);
    expect(plan.stdout).toMatch(/mkdir +0700 \S+ +\/run\/named/);
    expect(plan.stdout).toMatch(/mkdir +0700 \S+ +\/var\/cache\/bind/);
    expect(plan.stdout).toMatch(/mknod .* \/dev\/random/);
  });
});
