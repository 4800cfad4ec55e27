import { randomUUID } from 'node:crypto';
import { lstat, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSyslog, type RsyslogInstance, type SyslogHandle } from '../../src/index.js';
import { isAlive, waitUntil } from '../../src/host/processes.js';
import { explainSkipUnlessRoot, isRoot, makeJailParent } from '../support/root.js';
import { buildLoggerJail, privateRsyslogConfig, sendThroughJail, waitForLines } from './support.js';
import { startRsyslogInstance } from '../../src/index.js';

explainSkipUnlessRoot('the rsyslog and daemon-per-jail tests (a real rsyslogd, a jail, chroot --userspec)');

const isSocket = (file: string) => lstat(file).then((info) => info.isSocket(), () => false);

describe.skipIf(!isRoot)('syslog method rsyslog: a drop-in gives a private rsyslogd a socket in the jail', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let root: string;
  let stateDir: string;
  let rsyslog: RsyslogInstance;
  let directory: string;
  let dropIns: string;
  let handle: SyslogHandle | undefined;

  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    ({ root, stateDir } = await buildLoggerJail(parent, 'rsjail'));
    directory = path.join(parent, 'rsyslog');
    dropIns = path.join(directory, 'rsyslog.d');
    await mkdir(dropIns, { recursive: true });
    const control = path.join(directory, 'control.sock');
    // The private instance includes its own drop-in directory, the way /etc/rsyslog.conf includes /etc/rsyslog.d.
    rsyslog = await startRsyslogInstance({
      directory,
      config: privateRsyslogConfig(directory, [`input(type="imuxsock" Socket="${control}")`, `include(file="${dropIns}/*.conf" mode="optional")`]),
      waitFor: [control],
    });
  }, 120_000);

  afterAll(async () => {
    await handle?.stop({ purge: true }).catch(() => {});
    await rsyslog?.stop();
    await cleanup?.();
  });

  it('writes the drop-in, restarts rsyslogd, and a jailed line arrives before and after another restart; purge removes it', async () => {
    const settings = { method: 'rsyslog' as const, dropInDirectory: dropIns, config: rsyslog.configFile, pidFile: rsyslog.pidFile };
    const firstPid = rsyslog.pid;
    handle = await startSyslog(settings, { jailRoot: root, jailName: 'rsjail', stateDir }, { rsyslog: { restart: () => rsyslog.restart() } });
    const dropIn = path.join(dropIns, 'jailwright-rsjail.conf');
    expect(handle.files).toEqual([dropIn]);
    expect(await readFile(dropIn, 'utf8')).toContain(`input(type="imuxsock" Socket="${root}/dev/log" CreatePath="on" UsePIDFromSystem="on")`);
    expect(rsyslog.pid).not.toBe(firstPid);
    expect(await isAlive(firstPid)).toBe(false);

    const first = `first-${randomUUID()}`;
    expect(await sendThroughJail(root, 'jwtest', [first])).toEqual({ code: 0, stderr: '' });
    const [line] = await waitForLines(directory, first);
    expect(line).toMatch(/^jwtest/);

    await rsyslog.restart();
    expect(await waitUntil(() => isSocket(path.join(root, 'dev/log')), 10_000)).toBe(true);
    const second = `second-${randomUUID()}`;
    expect((await sendThroughJail(root, 'jwtest', [second])).code).toBe(0);
    expect(await waitForLines(directory, second)).toHaveLength(1);

    await handle.stop({ purge: true });
    handle = undefined;
    await expect(lstat(dropIn)).rejects.toThrow(/ENOENT/);
    expect(await waitUntil(async () => !(await isSocket(path.join(root, 'dev/log'))), 10_000)).toBe(true);
  }, 60_000);

  it('removes a drop-in that rsyslog rejects, and leaves rsyslogd running', async () => {
    const pid = rsyslog.pid;
    await expect(
      startSyslog(
        { method: 'rsyslog', dropInDirectory: dropIns, config: path.join(directory, 'missing.conf'), pidFile: rsyslog.pidFile },
        { jailRoot: root, jailName: 'rsjail', stateDir },
        { rsyslog: { restart: () => rsyslog.restart() } },
      ),
    ).rejects.toThrow(/rejects its configuration/);
    await expect(lstat(path.join(dropIns, 'jailwright-rsjail.conf'))).rejects.toThrow(/ENOENT/);
    expect(rsyslog.pid).toBe(pid);
    expect(await isAlive(pid)).toBe(true);
  }, 30_000);

  it('says rsyslog is not running when its pidfile names no live process', async () => {
    await expect(
      startSyslog({ method: 'rsyslog', dropInDirectory: dropIns, pidFile: path.join(directory, 'none.pid') }, { jailRoot: root, jailName: 'rsjail', stateDir }),
    ).rejects.toThrow(/rsyslog is not running: no live PID in/);
  });
});

describe.skipIf(!isRoot)('syslog method daemon-per-jail: a separate rsyslogd listens on the jail socket', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let handle: SyslogHandle | undefined;

  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
  });
  afterAll(async () => {
    await handle?.stop({ purge: true }).catch(() => {});
    await cleanup?.();
  });

  it('writes the jailed line to its own file and stops by PID', async () => {
    const { root, stateDir } = await buildLoggerJail(parent, 'dpjail');
    handle = await startSyslog({ method: 'daemon-per-jail' }, { jailRoot: root, jailName: 'dpjail', stateDir });
    const pid = handle.pid!;
    expect(await isAlive(pid)).toBe(true);
    const output = handle.files[0]!;
    expect(output).toBe(path.join(stateDir, 'syslog/messages.log'));
    const marker = `own-daemon-${randomUUID()}`;
    expect((await sendThroughJail(root, 'jwtest', [marker])).code).toBe(0);
    expect(await waitUntil(async () => (await readFile(output, 'utf8').catch(() => '')).includes(marker), 10_000)).toBe(true);
    await handle.stop({ purge: true });
    handle = undefined;
    expect(await isAlive(pid)).toBe(false);
    await expect(lstat(path.join(root, 'dev/log'))).rejects.toThrow(/ENOENT/);
  }, 60_000);
});
