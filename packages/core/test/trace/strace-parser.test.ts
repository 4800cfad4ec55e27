import { describe, expect, it } from 'vitest';
import { parseStraceLog, splitArguments } from '../../src/trace/strace-parser.js';

describe('parseStraceLog', () => {
  it('joins unfinished and resumed halves per PID and keeps errno', () => {
    const events = parseStraceLog(
      [
        '100 openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC <unfinished ...>',
        '101 newfstatat(AT_FDCWD, "/usr/lib/x.so",  <unfinished ...>',
        '100 <... openat resumed>)             = 3',
        '101 <... newfstatat resumed>0x7ffc, 0) = -1 ENOENT (No such file or directory)',
      ].join('\n'),
    );
    expect(events).toMatchObject([
      { pid: 100, syscall: 'openat', path: '/etc/passwd', result: 3, flags: 'O_RDONLY|O_CLOEXEC' },
      { pid: 101, syscall: 'newfstatat', path: '/usr/lib/x.so', result: -1, errno: 'ENOENT' },
    ]);
  });

  it('reads sun_path of unix sockets, inet binds, and escaped strings', () => {
    const events = parseStraceLog(
      [
        '7 connect(3, {sa_family=AF_UNIX, sun_path="/dev/log"}, 110) = -1 ENOENT (No such file or directory)',
        '7 connect(4, {sa_family=AF_UNIX, sun_path=@"/tmp/.X11-unix/X0"}, 20) = 0',
        '7 bind(5, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
        '7 openat(AT_FDCWD, "/tmp/a\\"b\\n", O_WRONLY|O_CREAT, 0644) = 6',
      ].join('\n'),
    );
    expect(events[0]).toMatchObject({ syscall: 'connect', errno: 'ENOENT', address: { family: 'unix', path: '/dev/log', abstract: false } });
    expect(events[1]?.address).toEqual({ family: 'unix', path: '/tmp/.X11-unix/X0', abstract: true });
    expect(events[2]?.address).toEqual({ family: 'inet', host: '127.0.0.1', port: 8080 });
    expect(events[3]?.path).toBe('/tmp/a"b\n');
  });

  it('resolves relative paths against chdir and marks paths after chroot with the jail root, inherited through clone in a PID namespace', () => {
    const events = parseStraceLog(
      [
        '10 chdir("/etc") = 0',
        '10 openat(AT_FDCWD, "hostname", O_RDONLY) = 3',
        '10 chroot("/srv/jail") = 0',
        '10 openat(AT_FDCWD, "/etc/mime.types", O_RDONLY) = -1 ENOENT (No such file or directory)',
        "10 clone(child_stack=NULL, flags=SIGCHLD) = 2 /* 11 in strace's PID NS */",
        '11 openat(AT_FDCWD, "/lib/x86_64-linux-gnu/libgcc_s.so.1", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)',
        '12 openat(AT_FDCWD, "/x", O_RDONLY) = -1 ENOENT (No such file or directory)',
        '11 +++ exited with 0 +++',
      ].join('\n'),
      { initialCwd: '/root' },
    );
    expect(events.map((event) => [event.pid, event.path, event.root])).toEqual([
      [10, '/etc', '/'],
      [10, '/etc/hostname', '/'],
      [10, '/srv/jail', '/'],
      [10, '/etc/mime.types', '/srv/jail'],
      [11, '/lib/x86_64-linux-gnu/libgcc_s.so.1', '/srv/jail'],
      [12, '/x', '/srv/jail'],
    ]);
  });

  it('splits arguments at top-level commas only', () => {
    const parts = splitArguments('AT_FDCWD, "/a,b", {st_mode=S_IFREG, st_size=1}, 0');
    expect(parts.map((part) => part.text)).toEqual(['AT_FDCWD', '"…"', '{st_mode=S_IFREG, st_size=1}', '0']);
    expect(parts[1]?.strings[0]?.value).toBe('/a,b');
  });
});
