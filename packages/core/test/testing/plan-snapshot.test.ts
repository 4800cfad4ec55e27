import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Operation, Plan } from '../../src/plan/types.js';
import { planSnapshot } from '../../src/testing/plan-snapshot.js';

const source = { path: '/x', size: 1, mtimeMs: 1, ino: 1, dev: 1, mode: 0o100755, uid: 0, gid: 0 };
const copy = (path: string, reason: string, extra: Partial<Operation> = {}): Operation =>
  ({ kind: 'copy', path, reason, source, mode: 0o755, uid: 0, gid: 0, keepSetuid: false, strippedBits: 0, link: 'copy', ...extra }) as Operation;

describe('planSnapshot', () => {
  it("keeps what the recipe decides and drops what differs between hosts", () => {
    const plan: Plan = {
      recipe: 'demo',
      accountsToCreate: [{ name: 'jw-demo' }],
      notes: ['/etc/optional.conf: optional, missing on this host'],
      operations: [
        { kind: 'directory', path: '/run/demo', reason: 'jail.directories', mode: 0o700, uid: 1234, gid: 1234 },
        { kind: 'device', path: '/dev/null', reason: 'preset base: host /dev/null', device: 'char', major: 1, minor: 3, mode: 0o666, uid: 0, gid: 0 },
        copy('/usr/sbin/demo', 'jail.files', { strippedBits: 0o4000 }),
        copy('/usr/lib/x86_64-linux-gnu/libc.so.6', 'preset base: libc.so.6'),
        copy('/usr/lib/x86_64-linux-gnu/libssl.so.3', 'needed by /usr/sbin/demo'),
        copy('/usr/lib/x86_64-linux-gnu/libgcc_s.so.1', 'jail.libraries: libgcc_s.so.1'),
        copy('/usr/share/zoneinfo/Europe/Paris', 'preset timezone'),
        { kind: 'write', path: '/etc/passwd', reason: 'jail.users and jail.groups (no password hashes)', content: 'jw-demo:x:1234:1234::/:/usr/sbin/nologin\n', mode: 0o644, uid: 0, gid: 0 },
        { kind: 'write', path: '/etc/demo.conf', reason: 'jail.write', content: 'listen 127.0.0.1:9\n', mode: 0o640, uid: 0, gid: 1234 },
        { kind: 'symlink', path: '/var/run', reason: 'preset base', target: '../run' },
      ],
    };
    expect(planSnapshot(plan)).toBe(
      [
        'directory 0700 service /run/demo',
        'device char 0666 /dev/null',
        'copy root /usr/sbin/demo (setuid stripped)',
        'write 0644 root /etc/passwd',
        `write 0640 root /etc/demo.conf sha256:${createHash('sha256').update('listen 127.0.0.1:9\n').digest('hex').slice(0, 16)}`,
        'symlink /var/run -> ../run',
        'library libgcc_s.so.1',
        '',
      ].join('\n'),
    );
    // The digest follows the generated content: a changed config shows in the snapshot.
    const changed = { ...plan, operations: plan.operations.map((operation) => (operation.path === '/etc/demo.conf' ? { ...operation, content: 'listen 127.0.0.1:10\n' } : operation)) };
    expect(planSnapshot(changed)).not.toBe(planSnapshot(plan));
  });
});
