import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { lstat, mkdir, open, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSyslog, type RsyslogInstance, type SyslogHandle } from '../../src/index.js';
import { explainSkipUnlessRoot, isRoot, makeJailParent } from '../support/root.js';
import { buildLoggerJail, jailedLogger, memoryOf, sendThroughJail, startPrivateRsyslog, waitForLines } from './support.js';

explainSkipUnlessRoot('the syslog relay tests (a real rsyslogd, a jail, chroot --userspec)');

const FLOOD = 100_000;

describe.skipIf(!isRoot)('syslog relay: a jailed process logs through the engine-owned socket to a real rsyslogd', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let root: string;
  let stateDir: string;
  let target: RsyslogInstance;
  let targetDirectory: string;
  let targetSocket: string;
  let helperDirectory: string;
  const handles: SyslogHandle[] = [];

  const startRelay = async (settings: Record<string, unknown> = {}) => {
    const handle = await startSyslog(
      { method: 'relay', target: targetSocket, ...settings },
      { jailRoot: root, jailName: 'logjail', stateDir },
      { helperDirectory },
    );
    handles.push(handle);
    return handle;
  };

  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    ({ root, stateDir } = await buildLoggerJail(parent, 'logjail'));
    targetDirectory = path.join(parent, 'host-syslog');
    targetSocket = path.join(targetDirectory, 'log.sock');
    helperDirectory = path.join(parent, 'cache');
    // Annotate + ParseTrusted: rsyslog logs the uid/gid/pid the kernel attached to each datagram.
    target = await startPrivateRsyslog(
      targetDirectory,
      [`input(type="imuxsock" Socket="${targetSocket}" Annotate="on" ParseTrusted="on" RateLimit.Interval="0")`],
      [targetSocket],
    );
  }, 120_000);

  afterAll(async () => {
    for (const handle of handles) await handle.stop().catch(() => {});
    await target?.stop();
    await cleanup?.();
  });

  it('refuses a planted symlink at the jail /dev instead of following it', async () => {
    const { root: otherRoot, stateDir: otherState } = await buildLoggerJail(parent, 'planted');
    const outside = path.join(parent, 'outside');
    await mkdir(outside);
    await rm(path.join(otherRoot, 'dev'), { recursive: true });
    await symlink(outside, path.join(otherRoot, 'dev'));
    await expect(
      startSyslog({ method: 'relay', target: targetSocket }, { jailRoot: otherRoot, jailName: 'planted', stateDir: otherState }, { helperDirectory }),
    ).rejects.toThrow(/symbolic link/);
    await expect(lstat(path.join(outside, 'log'))).rejects.toThrow(/ENOENT/);
  }, 60_000);

  it('forwards a jailed line tagged with the jail name, with the sender’s uid, gid and pid, and survives a restart of rsyslogd', async () => {
    const relay = await startRelay({ rateLimit: false });
    const socket = await lstat(path.join(root, 'dev/log'));
    expect(socket.isSocket()).toBe(true);
    expect(socket.uid).toBe(0);
    expect(socket.mode & 0o777).toBe(0o666);

    const first = `first-${randomUUID()}`;
    const logger = jailedLogger(root, 'jwtest');
    logger.send(first);
    const [line] = await waitForLines(targetDirectory, first);
    expect(line).toBeDefined();
    expect(line).toMatch(/^logjail\/jwtest/);
    expect(line).toContain(`|uid=65534|gid=65534|pid=${logger.pid}|`);
    expect((await logger.close()).code).toBe(0);

    await target.restart();
    const second = `second-${randomUUID()}`;
    expect((await sendThroughJail(root, 'jwtest', [second])).code).toBe(0);
    expect(await waitForLines(targetDirectory, second)).toHaveLength(1);

    // A line sent while rsyslogd is down waits in the relay and arrives once it is back.
    await target.stop();
    const during = `during-downtime-${randomUUID()}`;
    expect((await sendThroughJail(root, 'jwtest', [during])).code).toBe(0);
    await target.restart();
    expect(await waitForLines(targetDirectory, during)).toHaveLength(1);

    const stats = await relay.stats!();
    expect(stats.targetDownEvents).toBeGreaterThanOrEqual(1);
    expect(stats.droppedOverflow + stats.droppedError + stats.droppedRateLimit).toBe(0);
    await relay.stop();
    await expect(lstat(path.join(root, 'dev/log'))).rejects.toThrow(/ENOENT/);
  }, 60_000);

  it('keeps an 8 KB message whole', async () => {
    await startRelay({ rateLimit: false });
    const marker = `big-${randomUUID()}`;
    const body = `${marker} ${'0123456789abcdef'.repeat(512)}`;
    expect(body.length).toBeGreaterThan(8192);
    // logger cuts messages at 1 KiB unless told otherwise.
    expect((await sendThroughJail(root, 'jwbig', [body], ['--size', '16384'])).code).toBe(0);
    const [line] = await waitForLines(targetDirectory, marker);
    expect(line).toBeDefined();
    expect(line!.slice(line!.indexOf(marker))).toBe(body);
    await handles.at(-1)!.stop();
  }, 30_000);

  it(`delivers a flood of ${FLOOD} messages complete with the limit off`, async () => {
    const relay = await startRelay({ rateLimit: false });
    const marker = `flood-${randomUUID().slice(0, 8)}`;
    const input = path.join(parent, 'flood.txt');
    await writeFile(input, Array.from({ length: FLOOD }, (_, index) => `${marker} ${index}`).join('\n') + '\n');
    const started = performance.now();
    const file = await open(input, 'r');
    const child = spawn('chroot', ['--userspec=65534:65534', root, '/usr/bin/logger', '-t', 'jwflood'], { stdio: [file.fd, 'ignore', 'inherit'] });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    await file.close();
    expect(code).toBe(0);
    const lines = await waitForLines(targetDirectory, marker, FLOOD, 20_000);
    const seconds = (performance.now() - started) / 1000;
    const stats = await relay.stats!();
    const memory = await memoryOf(relay.pid!);
    console.log(
      `relay flood: ${lines.length}/${FLOOD} messages in ${seconds.toFixed(2)} s (${Math.round(lines.length / seconds)} msg/s), ` +
        `relay peak RSS ${memory.peakKiB} KiB, max queue ${stats.maxQueueBytes} B, credential fallbacks ${stats.credentialFallbacks}`,
    );
    expect(lines).toHaveLength(FLOOD);
    expect(new Set(lines.map((line) => line.slice(line.indexOf(marker))))).toHaveProperty('size', FLOOD);
    expect(stats.droppedOverflow + stats.droppedError + stats.droppedRateLimit).toBe(0);
    await relay.stop();
  }, 60_000);

  it('with the limit on and policy drop: drops and counts what is over the limit, logs the count, and stays small', async () => {
    const relay = await startRelay({ rateLimit: { interval: 1, base: 200, peak: 200, policy: 'drop' }, bufferBytes: 65_536 });
    const marker = `drop-${randomUUID().slice(0, 8)}`;
    const total = 5000;
    const started = performance.now();
    expect((await sendThroughJail(root, 'jwdrop', Array.from({ length: total }, (_, index) => `${marker} ${index}`))).code).toBe(0);
    const seconds = (performance.now() - started) / 1000;
    const notice = await waitForLines(targetDirectory, 'jail logjail: dropped', 1, 5000);
    const stats = await relay.stats!();
    const arrived = await waitForLines(targetDirectory, marker, stats.forwarded, 5000);
    const memory = await memoryOf(relay.pid!);
    console.log(
      `relay limit drop: ${total} sent in ${seconds.toFixed(2)} s, ${stats.forwarded} forwarded, ${stats.droppedRateLimit} dropped and counted, ` +
        `relay peak RSS ${memory.peakKiB} KiB`,
    );
    expect(stats.received).toBe(total);
    expect(stats.forwarded + stats.droppedRateLimit).toBe(total);
    // The burst, plus what the bucket refilled while the sender ran.
    expect(stats.forwarded).toBeGreaterThanOrEqual(200);
    expect(stats.forwarded).toBeLessThanOrEqual(200 + Math.ceil(seconds * 200) + 50);
    expect(arrived).toHaveLength(stats.forwarded);
    expect(notice.length).toBeGreaterThanOrEqual(1);
    expect(memory.peakKiB).toBeLessThan(16 * 1024);
    expect(stats.maxQueueBytes).toBeLessThanOrEqual(65_536);
    await relay.stop();
  }, 30_000);

  it('holds messages in a bounded buffer while rsyslogd is down, drops and counts the rest, and delivers what it held', async () => {
    const relay = await startRelay({ rateLimit: false, bufferBytes: 65_536 });
    const marker = `held-${randomUUID().slice(0, 8)}`;
    const total = 1000;
    await target.stop();
    // ~1 KiB each: about 60 fit in 64 KiB.
    expect((await sendThroughJail(root, 'jwheld', Array.from({ length: total }, (_, index) => `${marker} ${index} ${'x'.repeat(1000)}`), ['--size', '2048'])).code).toBe(0);
    const whileDown = await relay.stats!();
    await target.restart();
    const stats = await relay.stats!();
    const lines = await waitForLines(targetDirectory, marker, whileDown.queued, 10_000);
    const memory = await memoryOf(relay.pid!);
    console.log(
      `relay target down: ${whileDown.queued} held (${whileDown.queueBytes} B of 65536), ${whileDown.droppedOverflow} dropped and counted, ` +
        `${lines.length} delivered after the restart, relay peak RSS ${memory.peakKiB} KiB`,
    );
    expect(whileDown.received).toBe(total);
    expect(whileDown.maxQueueBytes).toBeLessThanOrEqual(65_536);
    expect(whileDown.queued + whileDown.droppedOverflow).toBe(total);
    expect(whileDown.queued).toBeGreaterThan(0);
    expect(lines.length).toBe(whileDown.queued);
    expect(stats.received).toBe(total);
    expect(memory.peakKiB).toBeLessThan(16 * 1024);
    // The count of what was dropped reaches the log once the target is back.
    expect(await waitForLines(targetDirectory, `jail logjail: dropped ${whileDown.droppedOverflow} messages`, 1, 5000)).toHaveLength(1);
    await relay.stop();
  }, 30_000);

  it('with the limit on and policy block: the sender waits, nothing is lost, and the rate is the limit', async () => {
    const relay = await startRelay({ rateLimit: { interval: 1, base: 1000, peak: 100, policy: 'block' }, bufferBytes: 65_536 });
    const marker = `block-${randomUUID().slice(0, 8)}`;
    const total = 3000;
    const started = performance.now();
    expect((await sendThroughJail(root, 'jwblock', Array.from({ length: total }, (_, index) => `${marker} ${index}`))).code).toBe(0);
    const senderSeconds = (performance.now() - started) / 1000;
    const lines = await waitForLines(targetDirectory, marker, total, 10_000);
    const stats = await relay.stats!();
    const memory = await memoryOf(relay.pid!);
    console.log(
      `relay limit block: ${lines.length}/${total} arrived, the sender took ${senderSeconds.toFixed(2)} s (limit 1000/s after a burst of 100), ` +
        `relay peak RSS ${memory.peakKiB} KiB`,
    );
    expect(lines).toHaveLength(total);
    expect(stats.droppedRateLimit + stats.droppedOverflow).toBe(0);
    // (3000 - 100) messages at 1000/s, less what the kernel queues of the jail socket hold when the sender ends.
    expect(senderSeconds).toBeGreaterThan(1.5);
    expect(memory.peakKiB).toBeLessThan(16 * 1024);
    await relay.stop();
  }, 30_000);
});
