import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jailwright, run } from '../support/root.js';

const haveAnalyze = existsSync('/usr/bin/systemd-analyze');
if (!haveAnalyze) console.warn('skipping the systemd unit checks: systemd-analyze is missing (apt-get install -y systemd; .ci/run does)');

const RECIPES = {
  apache: fileURLToPath(new URL('../../../../recipes/apache/recipe.yaml', import.meta.url)),
  bind: fileURLToPath(new URL('../../../../recipes/bind/recipe.yaml', import.meta.url)),
};

/** Debian's own units score 9.4 (apache2.service) and 9.6 (named.service); the issue asks for 2.0 at most. */
const MAXIMUM_EXPOSURE = 2.0;

describe.skipIf(!haveAnalyze)('export --format systemd', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'jailwright-systemd-'));
  });
  afterAll(async () => rm(directory, { recursive: true, force: true }));

  for (const [name, recipe] of Object.entries(RECIPES)) {
    it(`${name}: a unit systemd-analyze verify accepts, scoring at most ${MAXIMUM_EXPOSURE} exposure`, async () => {
      const unit = path.join(directory, `jailwright-${name}.service`);
      const root = `/srv/jails/${name}`;
      const exported = await jailwright('export', recipe, '--root', root, '--format', 'systemd', '--out', unit);
      expect(exported.stderr).toBe('');
      expect(exported.code).toBe(0);
      const text = await readFile(unit, 'utf8');
      for (const directive of [`RootDirectory=${root}`, 'NoNewPrivileges=yes', 'PrivateDevices=yes', 'ProtectSystem=strict', 'CapabilityBoundingSet=']) {
        expect(text).toContain(`\n${directive}`);
      }
      expect(text).toMatch(/^User=(www-data|jw-named)$/m);

      const verify = await run('systemd-analyze', ['verify', unit]);
      expect(verify.stderr).toBe('');
      expect(verify.code).toBe(0);
      const security = await run('systemd-analyze', ['security', '--offline=true', '--no-pager', unit]);
      const score = /Overall exposure level for .*: (\d+\.\d+)/.exec(security.stdout)?.[1];
      expect(score, security.stdout + security.stderr).toBeDefined();
      expect(Number(score)).toBeLessThanOrEqual(MAXIMUM_EXPOSURE);
    });
  }

  it('binds the host log socket only when the syslog method needs one, and keeps the service user its writable directories', async () => {
    const apache = await readFile(path.join(directory, 'jailwright-apache.service'), 'utf8');
    const bind = await readFile(path.join(directory, 'jailwright-bind.service'), 'utf8');
    expect(apache).not.toContain('BindReadOnlyPaths=');
    expect(bind).toContain('\nBindReadOnlyPaths=/dev/log\n');
    expect(apache).toContain('\nReadWritePaths=+/var/log/apache2\n');
    expect(bind).toContain('\nReadWritePaths=+/var/cache/bind\n');
    // named starts with what it needs to chroot and drop to jw-named; Apache keeps no capability at all.
    expect(bind).toContain('\nCapabilityBoundingSet=CAP_SYS_CHROOT CAP_SETUID CAP_SETGID\n');
    expect(apache).toContain('\nCapabilityBoundingSet=\n');
  });
});
