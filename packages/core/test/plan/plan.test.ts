import { stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { HostView, JailwrightError, jailNsswitch, loadRecipe, planJail } from '../../src/index.js';
import { JailTree } from '../../src/plan/jail-tree.js';
import { DEMO_RECIPE } from '../support/root.js';

// Planning only reads the host, so none of these need root.
describe('planJail on this host (read-only)', async () => {
  const { recipe } = await loadRecipe(DEMO_RECIPE);
  const plan = await planJail(recipe, new HostView());
  const at = (path: string) => plan.operations.find((operation) => operation.path === path);

  it('is deterministic', async () => {
    expect(await planJail(recipe, new HostView())).toEqual(plan);
  });

  it('orders every directory before what it holds', () => {
    const seen = new Set<string>();
    for (const operation of plan.operations) {
      if (operation.path !== '/') expect(seen.has(operation.path.replace(/\/[^/]+$/, '') || '/'), operation.path).toBe(true);
      seen.add(operation.path);
    }
  });

  it('takes device numbers from the host nodes', async () => {
    const host = await stat('/dev/urandom');
    expect(at('/dev/urandom')).toMatchObject({ kind: 'device', device: 'char', major: Math.floor(host.rdev / 256) & 0xfff, minor: host.rdev & 0xff });
  });

  it('brings the loader and libc along the host layout, links kept as links', () => {
    expect(at('/lib')).toMatchObject({ kind: 'symlink', target: 'usr/lib' });
    expect(at('/lib64')).toMatchObject({ kind: 'symlink', target: 'usr/lib64' });
    expect(at('/usr/lib/x86_64-linux-gnu/libc.so.6')).toMatchObject({ kind: 'copy' });
    const loader = at('/usr/lib64/ld-linux-x86-64.so.2');
    expect(loader?.kind).toBe('symlink');
    expect(loader?.kind === 'symlink' && loader.target.startsWith('/')).toBe(false);
  });

  it('finds the ELF dependencies of the files (libselinux for id) and says why each is there', () => {
    const selinux = at('/usr/lib/x86_64-linux-gnu/libselinux.so.1');
    expect(selinux).toMatchObject({ kind: 'copy', reason: 'needed by /usr/bin/id' });
  });

  it('writes passwd with the named user only, and never plans /etc/shadow', () => {
    expect(at('/etc/passwd')).toMatchObject({ kind: 'write', content: 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' });
    expect(at('/etc/shadow')).toBeUndefined();
  });
});

describe('jailNsswitch', () => {
  it('keeps only the sources that work in a jail', () => {
    const text = jailNsswitch('passwd: files systemd\nhosts: files [NOTFOUND=return] mdns4_minimal dns\nprotocols: db files\nnetgroup: nis\n');
    expect(text).toMatch(/^passwd:\s+files$/m);
    expect(text).toMatch(/^hosts:\s+files dns$/m);
    expect(text).toMatch(/^protocols:\s+files$/m);
    expect(text).toMatch(/^netgroup:\s+files$/m);
    expect(text).not.toMatch(/systemd|mdns|nis\b|\bdb\b|NOTFOUND/);
  });
});

describe('JailTree', () => {
  it('refuses two different things at one path, naming both reasons', () => {
    const tree = new JailTree();
    tree.add({ kind: 'symlink', path: '/etc/x', target: 'y', reason: 'first' });
    expect(() => tree.add({ kind: 'symlink', path: '/etc/x', target: 'z', reason: 'second' })).toThrow(JailwrightError);
    expect(() => tree.add({ kind: 'symlink', path: '/etc/x', target: 'z', reason: 'second' })).toThrow(/first[\s\S]*second/);
  });

  it('resolves new paths through planned links, so /var/run/x lands in /run/x', () => {
    const tree = new JailTree();
    tree.add({ kind: 'symlink', path: '/var/run', target: '../run', reason: 'base' });
    expect(tree.resolveParents('/var/run/named/named.pid')).toBe('/run/named/named.pid');
    expect(tree.resolveParents('/var/run')).toBe('/var/run');
  });
});
