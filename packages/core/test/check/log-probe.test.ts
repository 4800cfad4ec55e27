import { appendFileSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runProbe, runProbes, waitFor } from '../../src/check/index.js';

describe('log probe', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'jailwright-log-'));
    await mkdir(path.join(root, 'var/log'), { recursive: true });
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  it('waits for a line that is written after a delay, even into a file that does not exist yet', async () => {
    const file = path.join(root, 'var/log/service.log');
    const writer = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await writeFile(file, 'starting\n');
      await new Promise((resolve) => setTimeout(resolve, 200));
      await appendFile(file, 'listening on port 8');
      await new Promise((resolve) => setTimeout(resolve, 100));
      await appendFile(file, '080\nready\n');
    })();
    const result = await runProbe({ type: 'log', file: '/var/log/service.log', pattern: 'listening on port \\d+$', timeoutMs: 3_000 }, { root });
    await writer;
    // The half-written line "listening on port 8" must not match early.
    expect(result).toMatchObject({ ok: true, probe: 'log /var/log/service.log /listening on port \\d+$/', actual: 'listening on port 8080' });
    expect(result.durationMs).toBeGreaterThanOrEqual(550);
  });

  it('times out saying how many lines it read and the last one', async () => {
    await writeFile(path.join(root, 'var/log/service.log'), 'one\ntwo\n');
    const result = await runProbe({ type: 'log', file: '/var/log/service.log', pattern: 'ready', timeoutMs: 300 }, { root });
    expect(result).toMatchObject({
      ok: false,
      expected: 'a line matching /ready/ in /var/log/service.log',
      actual: '2 lines, none matching; last: "two" (no answer within 300 ms)',
    });
  });

  it('with sinceStart, ignores matching lines already in the file', async () => {
    const file = path.join(root, 'var/log/service.log');
    await writeFile(file, 'ready (from the previous run)\n');
    const old = await runProbe({ type: 'log', file: '/var/log/service.log', pattern: 'ready', sinceStart: true, timeoutMs: 300 }, { root });
    expect(old).toMatchObject({ ok: false, actual: 'no line (no answer within 300 ms)' });
    const fresh = runProbe({ type: 'log', file: '/var/log/service.log', pattern: 'ready', sinceStart: true, timeoutMs: 3_000 }, { root });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await appendFile(file, 'ready again\n');
    expect(await fresh).toMatchObject({ ok: true, actual: 'ready again' });
  });

  it('with sinceStart in runProbes, counts the line another probe of the run causes at once, and no line written before', async () => {
    const file = path.join(root, 'var/log/access.log');
    await writeFile(file, 'connect (from an earlier run)\n');
    // A server that logs each connection the moment it accepts it, before the client has even been answered.
    const server = net.createServer((socket) => {
      appendFileSync(file, 'connect\n');
      socket.end();
    });
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
    try {
      const log = { type: 'log', file: '/var/log/access.log', pattern: '^connect$', sinceStart: true, timeoutMs: 2_000 } as const;
      expect((await runProbe({ ...log, timeoutMs: 300 }, { root })).ok, 'the earlier run\'s line does not count').toBe(false);
      const [tcp, seen] = await runProbes([{ type: 'tcp', port }, log], { root });
      expect(tcp?.ok).toBe(true);
      expect(seen).toMatchObject({ ok: true, actual: 'connect' });
    } finally {
      server.close();
    }
  });

  it('with sinceStart in waitFor, counts a line written between two attempts', async () => {
    const file = path.join(root, 'var/log/service.log');
    await writeFile(file, 'ready (from the previous run)\n');
    const waiting = waitFor({ type: 'log', file: '/var/log/service.log', pattern: '^ready$', sinceStart: true, timeoutMs: 200 }, { root }, { timeoutMs: 3_000, intervalMs: 300 });
    // The first attempt gives up at 200 ms; the next starts at 500 ms.
    await new Promise((resolve) => setTimeout(resolve, 350));
    await appendFile(file, 'ready\n');
    expect(await waiting).toMatchObject({ ok: true, actual: 'ready', attempts: 2 });
  });

  it('says the file is missing', async () => {
    const result = await runProbe({ type: 'log', file: '/var/log/none.log', pattern: 'x', timeoutMs: 200 }, { root });
    expect(result).toMatchObject({ ok: false, actual: 'no file /var/log/none.log in the jail (no answer within 200 ms)' });
  });

  it('refuses a log that is a symlink out of the jail, and does not show the outside file', async () => {
    const outside = await mkdtemp(path.join(tmpdir(), 'jailwright-outside-'));
    try {
      await writeFile(path.join(outside, 'secret'), 'secret line\n');
      await symlink(path.join(outside, 'secret'), path.join(root, 'var/log/service.log'));
      const result = await runProbe({ type: 'log', file: '/var/log/service.log', pattern: 'secret', timeoutMs: 2_000 }, { root });
      expect(result.ok).toBe(false);
      expect(result.actual).toMatch(/^\/var\/log\/service\.log resolves to .*secret, outside the jail /);
      expect(result.actual).not.toContain('secret line');
      // Refused at once: waiting cannot bring the file back into the jail.
      expect(result.durationMs).toBeLessThan(1_000);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
