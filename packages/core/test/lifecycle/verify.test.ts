import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { appendFile, chmod, chown, open, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditReport, JailList, VerifyReport } from '../../src/index.js';
import { explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, run, writeRecipe } from '../support/root.js';

explainSkipUnlessRoot('verify, list, the carried service data and the link: hard audit (real jails under /var/lib)');

const ACCOUNT = `jwv${process.pid}`;
const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';

describe.skipIf(!isRoot)('verify, list, service data across rebuilds, link: hard', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  let recipe: string;
  let root: string;

  const verify = async (jail = root) => {
    const result = await jailwright('verify', jail, '--json');
    return { code: result.code, report: JSON.parse(result.stdout) as VerifyReport, stderr: result.stderr };
  };
  const list = async () => JSON.parse((await jailwright('list', '--json')).stdout) as JailList;

  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    process.env.JAILWRIGHT_REGISTRY = path.join(parent, 'registry');
    recipe = await writeRecipe(
      parent,
      'verified',
      `specVersion: 1
name: verified
jail:
  include: [base]
  files: [/usr/bin/id, /usr/bin/ls]
  users: [{ name: ${ACCOUNT}, create: true }]
  directories:
    - { path: /var/log/verified, owner: ${ACCOUNT}, mode: "0750" }
  symlinks:
    - { path: /usr/bin/list, target: ls }
`,
    );
    root = path.join(parent, 'verified');
    const built = await jailwright('build', recipe, '--root', root);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
  });

  afterAll(async () => {
    await run('userdel', [ACCOUNT]);
    await run('groupdel', [ACCOUNT]);
    delete process.env.JAILWRIGHT_REGISTRY;
    await cleanup?.();
  });

  it('a clean jail verifies (exit 0); what the service writes into its log directory is not drift', async () => {
    const log = path.join(root, 'var/log/verified/service.log');
    await writeFile(log, 'first line of the service\n');
    await chown(log, Number((await run('id', ['-u', ACCOUNT])).stdout), Number((await run('id', ['-g', ACCOUNT])).stdout));
    const { code, report } = await verify();
    expect(report.drift).toEqual([]);
    expect(report.serviceData).toContain('/var/log/verified');
    expect(code).toBe(0);
    expect(report.manifest.startsWith(path.join(parent, '.verified.jailwright/'))).toBe(true);
  });

  it('list shows the jail with its recipe, version, state and the last verify', async () => {
    const { jails } = await list();
    const jail = jails.find((entry) => entry.root === root);
    expect(jail).toMatchObject({ recipe: 'verified', recipeFile: recipe, state: 'stopped', hostChanged: false, lastVerify: { clean: true } });
    expect(jail?.version.engine).toMatch(/^\d+\.\d+\.\d+/);
    expect(jail?.version.recipe).toMatch(/^sha256 [0-9a-f]{12}$/);
  });

  it('a rebuild keeps the service data: the log line is in the new generation, with its owner', async () => {
    const before = realpathSync(root);
    const rebuilt = await jailwright('build', recipe, '--root', root, '--force');
    expect(rebuilt.code).toBe(0);
    expect(realpathSync(root)).not.toBe(before);
    const log = path.join(root, 'var/log/verified/service.log');
    expect(readFileSync(log, 'utf8')).toBe('first line of the service\n');
    expect(statSync(log).uid).toBe(Number((await run('id', ['-u', ACCOUNT])).stdout));
    expect((await verify()).code).toBe(0);
  });

  it('reports each tampering — a byte of a library, chmod, chown, an added file, a deleted file, a retargeted symlink — and exits 1', async () => {
    const library = await open(path.join(root, LIBC), 'r+');
    await library.write(Buffer.from([0x42]), 0, 1, 4096);
    await library.close();
    await chmod(path.join(root, 'usr/bin/ls'), 0o4755);
    await chown(path.join(root, 'usr/bin/id'), 1, 1);
    await writeFile(path.join(root, 'usr/bin/planted'), '#!/bin/sh\n');
    await rm(path.join(root, 'etc/group'));
    await rm(path.join(root, 'usr/bin/list'));
    await symlink('/bin/sh', path.join(root, 'usr/bin/list'));
    await appendFile(path.join(root, 'var/log/verified/service.log'), 'the service logs on\n');

    const { code, report } = await verify();
    expect(code).toBe(1);
    expect(report.clean).toBe(false);
    expect(report.drift.map((drift) => `${drift.change} ${drift.path}`)).toEqual([
      'removed /etc/group',
      'owner /usr/bin/id',
      'target /usr/bin/list',
      'mode /usr/bin/ls',
      'added /usr/bin/planted',
      `content ${LIBC}`,
    ]);
    expect(report.drift.find((drift) => drift.path === '/usr/bin/ls')?.detail).toBe('0755 became 4755');
    const text = await jailwright('verify', root);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('6 differences');
    expect((await list()).jails.find((entry) => entry.root === root)?.lastVerify?.clean).toBe(false);
  });

  it('update repairs a tampered jail and keeps the log', async () => {
    const updated = await jailwright('update', root);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain('the jail no longer matched its manifest');
    expect((await verify()).code).toBe(0);
    expect(readFileSync(path.join(root, 'var/log/verified/service.log'), 'utf8')).toBe('first line of the service\nthe service logs on\n');
  });

  it('verify refuses what is not a jailwright jail (exit 2)', async () => {
    const result = await jailwright('verify', path.join(parent, 'nothing-here'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not a jail built by jailwright');
  });

  it('--link hard: the audit reports the inodes shared with the host as allowed, not as a high finding', async () => {
    const linked = path.join(parent, 'linked');
    const built = await jailwright('build', recipe, '--root', linked, '--link', 'hard', '--json');
    expect(built.code).toBe(0);
    const audit = await jailwright('audit', linked, '--json');
    const report = JSON.parse(audit.stdout) as AuditReport & { passed: boolean };
    const shared = report.findings.filter((finding) => finding.check === 'host-inode' || finding.check === 'hard-link');
    expect(shared.length).toBeGreaterThan(0);
    for (const finding of shared) expect(finding.allowed?.reason).toContain('link: hard');
    expect(report.passed).toBe(true);
    expect(audit.code).toBe(0);
    // The same jail tree copied is not allowed to share: a copy never does, so only link: hard gets the allowance.
    expect(statSync(path.join(linked, 'usr/bin/id')).ino).toBe(statSync('/usr/bin/id').ino);
  });

  it('list prunes a jail whose root is gone', async () => {
    const linked = path.join(parent, 'linked');
    await rm(linked);
    const listed = await list();
    expect(listed.pruned).toContain(linked);
    expect(listed.jails.map((jail) => jail.root)).not.toContain(linked);
    expect((await list()).pruned).not.toContain(linked);
    expect(existsSync(root)).toBe(true);
  });
});
