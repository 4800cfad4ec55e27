import { describe, expect, it } from 'vitest';
import { isLoaderNoise, refusedPath } from '../../src/trace/path-policy.js';

describe('refusedPath', () => {
  it('refuses kernel filesystems, password hashes, administration secrets and private keys, and nothing else', () => {
    expect(refusedPath('/proc/self/status')).toMatch(/kernel filesystem \/proc/);
    expect(refusedPath('/sys/devices/system/cpu/online')).toMatch(/kernel filesystem \/sys/);
    expect(refusedPath('/etc/shadow')).toMatch(/password hashes/);
    expect(refusedPath('/etc/gshadow-')).toMatch(/password hashes/);
    expect(refusedPath('/etc/ssh/ssh_host_ed25519_key')).toMatch(/secrets/);
    expect(refusedPath('/etc/ssl/private/server.key')).toMatch(/private key/);
    for (const allowed of ['/etc/passwd', '/etc/mime.types', '/procedures', '/system', '/usr/lib/apache2/modules/mod_ssl.so']) expect(refusedPath(allowed)).toBeUndefined();
  });
});

describe('isLoaderNoise', () => {
  it("is the loader's hardware-capability probing, directories and files alike, not the library directory itself", () => {
    for (const noise of ['/etc/ld.so.cache', '/lib/x86_64-linux-gnu/tls', '/lib/x86_64-linux-gnu/haswell/x86_64', '/usr/lib/x86_64-linux-gnu/avx512_1/libc.so.6', '/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libz.so.1']) {
      expect(isLoaderNoise(noise), noise).toBe(true);
    }
    for (const real of ['/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu/libgcc_s.so.1', '/etc/tls']) expect(isLoaderNoise(real), real).toBe(false);
  });
});
