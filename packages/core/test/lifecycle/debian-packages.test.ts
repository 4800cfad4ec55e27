import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { owningPackages } from '../../src/lifecycle/debian-packages.js';

describe.skipIf(!existsSync('/var/lib/dpkg/status'))('owningPackages (one dpkg-query -S for all paths)', () => {
  it('names the package of each path, under the merged-/usr name dpkg does not record, and none for an unowned path', async () => {
    const owners = await owningPackages(['/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/bin/ls', '/etc/jailwright-no-such-file']);
    expect(owners?.get('/usr/lib/x86_64-linux-gnu/libc.so.6')).toMatch(/^libc6(:amd64)?$/);
    expect(owners?.get('/usr/bin/ls')).toBe('coreutils');
    expect(owners?.has('/etc/jailwright-no-such-file')).toBe(false);
  });
});
