import { spawnSync } from 'node:child_process';
import { mkdir, realpath, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditJail } from '../../src/index.js';
import { DEMO_RECIPE, explainSkipUnlessRoot, isRoot, jailwright, makeJailParent, writeRecipe } from '../support/root.js';

explainSkipUnlessRoot('the clean-jail and mount audit tests');

interface JsonReport {
  schemaVersion: number;
  manifest: string | null;
  passed: boolean;
  summary: Record<string, number>;
  findings: { check: string; severity: string; path: string }[];
  unchecked: unknown[];
}

describe.skipIf(!isRoot)('jailwright audit: the jail of the minimal recipe', () => {
  let parent: string;
  let root: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent());
    root = path.join(parent, 'demo');
    const built = await jailwright('build', DEMO_RECIPE, '--root', root);
    expect(built.code, built.stderr).toBe(0);
  });
  afterAll(async () => cleanup?.());

  it('reports nothing above low, reads the manifest, and exits 0', async () => {
    const result = await jailwright('audit', root, '--json', '--fail-on', 'medium');
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.findings.filter((item) => item.severity !== 'low')).toEqual([]);
    expect(result.code).toBe(0);
    expect(report.schemaVersion).toBe(1);
    expect(report.passed).toBe(true);
    expect(report.manifest).toMatch(/\.demo\.jailwright\/generation-\d{6}\.manifest\.json$/);
    expect(report.unchecked).toEqual([]);
    // The documented JSON (packages/core/README.md): these fields in this order, and the same bytes twice.
    expect(Object.keys(report)).toEqual(['schemaVersion', 'root', 'directory', 'manifest', 'recipe', 'failOn', 'passed', 'failing', 'summary', 'findings', 'unchecked']);
    expect(Object.keys(report.summary)).toEqual(['critical', 'high', 'medium', 'low', 'allowed', 'total']);
    for (const item of report.findings) expect(Object.keys(item)).toEqual(['check', 'severity', 'path', 'why', 'fix']);
    expect((await jailwright('audit', root, '--json', '--fail-on', 'medium')).stdout).toBe(result.stdout);
    const text = await jailwright('audit', root);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^0 critical, 0 high, 0 medium, \d+ low, 0 allowed — passed \(--fail-on high\)$/m);
  });

  it('gives the same report from the library, for the generation directory itself', async () => {
    const report = await auditJail(await realpath(root));
    expect(report.summary).toMatchObject({ critical: 0, high: 0, medium: 0 });
    expect(report.manifest).not.toBeNull();
  });

  it('reports /proc mounted inside the jail as high, without walking into it', async () => {
    const proc = path.join(await realpath(root), 'proc');
    await mkdir(proc);
    const mounted = spawnSync('mount', ['-t', 'proc', 'proc', proc]);
    try {
      expect(mounted.status, String(mounted.stderr)).toBe(0);
      const result = await jailwright('audit', root, '--json');
      expect(result.code).toBe(1);
      const report = JSON.parse(result.stdout) as JsonReport;
      expect(report.findings).toContainEqual(expect.objectContaining({ check: 'proc-mount', severity: 'high', path: '/proc' }));
      expect(report.findings.some((item) => item.path.startsWith('/proc/'))).toBe(false);
    } finally {
      if (mounted.status === 0) spawnSync('umount', [proc]);
      await rmdir(proc);
    }
  });
});

describe.skipIf(!isRoot)('jailwright audit: copies that no longer match the host', () => {
  let parent: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ parent, cleanup } = await makeJailParent()));
  afterAll(async () => cleanup?.());

  it('reports a changed or vanished host source as low, which fails nothing by default', async () => {
    const changed = path.join(parent, 'changed.conf');
    const vanished = path.join(parent, 'vanished.conf');
    await writeFile(changed, 'version 1\n');
    await writeFile(vanished, 'here\n');
    const recipe = await writeRecipe(parent, 'stale', `specVersion: 1\nname: stale\njail:\n  files: [${changed}, ${vanished}]\n`);
    const root = path.join(parent, 'stale');
    expect((await jailwright('build', recipe, '--root', root)).code).toBe(0);
    await writeFile(changed, 'version 2\n');
    await rm(vanished);
    const result = await jailwright('audit', root, '--json', '--fail-on', 'medium');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as JsonReport & { findings: { why: string }[] };
    const stale = report.findings.filter((item) => item.check === 'differs-from-host');
    expect(stale).toEqual([
      expect.objectContaining({ severity: 'low', path: changed, why: expect.stringMatching(/host file changed since the build/) }),
      expect.objectContaining({ severity: 'low', path: vanished, why: expect.stringMatching(/is gone/) }),
    ]);
  });

  it('finds what an unread stamp check could miss: a host file rewritten with its size and mtime kept, a jail copy rewritten', async () => {
    // Right after a build the audit reads nothing (both sides have the stamps the build recorded); these change only what reading finds.
    const rewritten = path.join(parent, 'rewritten.conf');
    const tampered = path.join(parent, 'tampered.conf');
    await writeFile(rewritten, 'version 1\n');
    await writeFile(tampered, 'original\n');
    const recipe = await writeRecipe(parent, 'stamps', `specVersion: 1\nname: stamps\njail:\n  files: [${rewritten}, ${tampered}]\n`);
    const root = path.join(parent, 'stamps');
    expect((await jailwright('build', recipe, '--root', root)).code).toBe(0);
    const clean = JSON.parse((await jailwright('audit', root, '--json')).stdout) as JsonReport;
    expect(clean.findings.filter((item) => item.check === 'differs-from-host')).toEqual([]);
    spawnSync('touch', ['-r', rewritten, `${rewritten}.times`]);
    await writeFile(rewritten, 'version 2\n');
    spawnSync('touch', ['-r', `${rewritten}.times`, rewritten]);
    await writeFile(path.join(root, tampered), 'modified\n');
    const report = JSON.parse((await jailwright('audit', root, '--json')).stdout) as JsonReport & { findings: { why: string }[] };
    expect(report.findings.filter((item) => item.check === 'differs-from-host')).toEqual([
      expect.objectContaining({ path: rewritten, why: expect.stringMatching(/host file changed since the build/) }),
      expect.objectContaining({ path: tampered, why: expect.stringMatching(/jail copy was changed after the build/) }),
    ]);
  });
});
