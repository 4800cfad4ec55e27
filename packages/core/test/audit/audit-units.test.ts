import { describe, expect, it } from 'vitest';
import { isKernelMount, mountFindings, parseMountInfo } from '../../src/audit/mounts.js';
import { allowPathMatches, applyAllowList, failingFindings, parseRecipe, shellQuote, sortFindings, summarize, type Finding } from '../../src/index.js';

const MOUNTINFO = [
  '24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,mode=755',
  '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
  '90 27 0:21 / /srv/jails/.web.jailwright/generation-000001/proc rw - proc proc rw',
  '91 27 0:22 / /srv/jails/.web.jailwright/generation-000001/sys rw - sysfs sysfs rw',
  '92 27 0:6 / /srv/jails/.web.jailwright/generation-000001/dev rw - tmpfs host-dev rw',
  '93 27 254:0 /srv/www /srv/jails/.web.jailwright/generation-000001/var/my\\040www rw - ext4 /dev/vda rw',
  '94 27 0:50 / /srv/jails/.web.jailwright/generation-000002/proc rw - proc proc rw',
].join('\n');
const JAIL = '/srv/jails/.web.jailwright/generation-000001';

function item(check: Finding['check'], severity: Finding['severity'], path: string): Finding {
  return { check, severity, path, why: 'why', fix: 'fix' };
}

describe('mounts inside a jail', () => {
  it('finds proc, sys, the host /dev (by device and root) and bind mounts, unescaping paths', () => {
    const mounts = parseMountInfo(MOUNTINFO).filter((mount) => mount.mountPoint.startsWith(`${JAIL}/`));
    const hostDev = parseMountInfo(MOUNTINFO).find((mount) => mount.mountPoint === '/dev');
    const findings = mountFindings(JAIL, mounts, hostDev).map(({ check, severity, path }) => ({ check, severity, path }));
    expect(findings).toEqual([
      { check: 'proc-mount', severity: 'high', path: '/proc' },
      { check: 'sys-mount', severity: 'high', path: '/sys' },
      { check: 'dev-mount', severity: 'high', path: '/dev' },
      { check: 'other-mount', severity: 'low', path: '/var/my www' },
    ]);
    expect(mounts.map((mount) => isKernelMount(mount, hostDev))).toEqual([true, true, true, false]);
  });
});

describe('allow lists, order and verdict', () => {
  it('matches a path exactly or everything below "dir/**"', () => {
    expect(allowPathMatches('/usr/bin/ping', '/usr/bin/ping')).toBe(true);
    expect(allowPathMatches('/usr/bin/ping', '/usr/bin/ping6')).toBe(false);
    expect(allowPathMatches('/var/spool/**', '/var/spool/mail/x')).toBe(true);
    expect(allowPathMatches('/var/spool/**', '/var/spool')).toBe(false);
    expect(allowPathMatches('/var/spool/**', '/var/spoolx/a')).toBe(false);
  });

  it('marks allowed findings, which no longer count towards --fail-on', () => {
    const findings = sortFindings(
      applyAllowList([item('shell', 'medium', '/bin/sh'), item('setuid-file', 'critical', '/usr/bin/ping'), item('hard-link', 'high', '/a')], [
        { check: 'setuid-file', path: '/usr/bin/ping', reason: 'ping needs raw sockets' },
        { check: 'shell', path: '/usr/bin/ping', reason: 'wrong path: does not match /bin/sh' },
      ]),
    );
    expect(findings.map((finding) => [finding.check, finding.allowed?.reason])).toEqual([
      ['setuid-file', 'ping needs raw sockets'],
      ['hard-link', undefined],
      ['shell', undefined],
    ]);
    expect(summarize(findings)).toEqual({ critical: 0, high: 1, medium: 1, low: 0, allowed: 1, total: 3 });
    expect(failingFindings(findings, 'critical')).toEqual([]);
    expect(failingFindings(findings, 'high').map((finding) => finding.check)).toEqual(['hard-link']);
    expect(failingFindings(findings, 'medium')).toHaveLength(2);
  });

  it('quotes paths for the shell only when needed', () => {
    expect(shellQuote('/srv/jails/demo/dev/mem')).toBe('/srv/jails/demo/dev/mem');
    expect(shellQuote("/srv/my jail/it's")).toBe("'/srv/my jail/it'\\''s'");
  });
});

describe('the recipe audit section', () => {
  const base = 'specVersion: 1\nname: demo\njail:\n  include: [base]\n';

  it('accepts allow entries with a check id, a path and a reason', () => {
    const recipe = parseRecipe(`${base}audit:\n  allow:\n    - { check: setuid-file, path: /usr/bin/ping, reason: raw sockets }\n    - { check: world-writable-dir, path: /var/spool/**, reason: spool }\n`, 'recipe.yaml');
    expect(recipe.audit?.allow).toHaveLength(2);
  });

  it('refuses an unknown check with a suggestion, a missing reason and a wildcard in the middle', () => {
    expect(() => parseRecipe(`${base}audit:\n  allow:\n    - { check: setuid-files, path: /x, reason: r }\n`, 'recipe.yaml')).toThrow(/unknown audit check "setuid-files".*did you mean "setuid-file"/s);
    expect(() => parseRecipe(`${base}audit:\n  allow:\n    - { check: shell, path: /bin/sh }\n`, 'recipe.yaml')).toThrow(/reason/);
    expect(() => parseRecipe(`${base}audit:\n  allow:\n    - { check: shell, path: /bin/*/sh, reason: r }\n`, 'recipe.yaml')).toThrow(/only wildcard is a final/);
  });
});
