import { describe, expect, it } from 'vitest';
import { launchCommand, LaunchSchema, normalizeLaunch, parseRecipe, type LaunchTools } from '../../src/index.js';
import { restartDelayMs } from '../../src/launch/supervise.js';

const TOOLS: LaunchTools = { unshare: '/usr/bin/unshare', setsid: '/usr/bin/setsid', setpriv: '/usr/bin/setpriv', chroot: '/usr/sbin/chroot', mount: '/usr/bin/mount', sh: '/usr/bin/sh' };
const IDENTITY = { uid: 990, gid: 991, groups: [992] };

function parse(launch: string) {
  return parseRecipe(`specVersion: 1\nname: t\njail: {}\nlaunch:\n${launch}`, 'recipe.yaml');
}

describe('launchCommand', () => {
  it('engine-chroot: namespaces, mount fence, new session, no_new_privs, cut bounding set, numeric ids with only the named groups', () => {
    const launch = normalizeLaunch(LaunchSchema.parse({ mode: 'engine-chroot', command: ['/usr/sbin/httpd', '-DFOREGROUND'], user: 'www', env: { LANG: 'C' } }));
    const command = launchCommand(launch, '/srv/jails/.www.jailwright/generation-000001', IDENTITY, TOOLS);
    expect(command.file).toBe('/usr/bin/unshare');
    const args = command.args.join(' ');
    expect(args).toMatch(/^--mount --pid --ipc --uts --fork --kill-child=SIGKILL --propagation private -- \/usr\/bin\/sh -c /);
    expect(args).not.toContain('--net');
    expect(args).toContain('remount,bind,nodev,nosuid "$root"');
    expect(args).toContain(
      'jailwright-fence /usr/bin/mount /srv/jails/.www.jailwright/generation-000001 none /usr/bin/setsid /usr/bin/setpriv --no-new-privs ' +
        '--bounding-set=-all,+sys_chroot,+setgid,+setuid --inh-caps=-all --clear-groups -- ' +
        '/usr/sbin/chroot --userspec=990:991 --groups=992 /srv/jails/.www.jailwright/generation-000001 /usr/sbin/httpd -DFOREGROUND',
    );
    expect(command.env).toEqual({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' });
    expect(command.cwd).toBe('/');
  });

  it('clears supplementary groups explicitly when the recipe names none (chroot would otherwise add the host ones)', () => {
    const launch = normalizeLaunch(LaunchSchema.parse({ mode: 'engine-chroot', command: ['/bin/svc'], user: 'svc', namespaces: { net: true }, proc: 'fresh' }));
    const args = launchCommand(launch, '/j', { ...IDENTITY, groups: [] }, TOOLS).args;
    expect(args).toContain('--groups=');
    expect(args).toContain('--net');
    expect(args).toContain('fresh');
  });

  it('self-chroot: the host program with {root} replaced, and only the recipe capabilities in the bounding set', () => {
    const launch = normalizeLaunch(
      LaunchSchema.parse({ mode: 'self-chroot', command: ['/usr/sbin/named', '-f', '-u', 'bind', '-t', '{root}'], capabilities: ['sys_chroot', 'setuid', 'setgid', 'net_bind_service'], workdir: '/var/cache/bind' }),
    );
    const command = launchCommand(launch, '/srv/jails/.bind.jailwright/generation-000003', undefined, TOOLS);
    expect(command.args.slice(-13)).toEqual([
      '/usr/bin/setsid',
      '/usr/bin/setpriv',
      '--no-new-privs',
      '--bounding-set=-all,+sys_chroot,+setuid,+setgid,+net_bind_service',
      '--inh-caps=-all',
      '--clear-groups',
      '--',
      '/usr/sbin/named',
      '-f',
      '-u',
      'bind',
      '-t',
      '/srv/jails/.bind.jailwright/generation-000003',
    ]);
    expect(command.args).not.toContain('/usr/sbin/chroot');
    expect(command.cwd).toBe('/var/cache/bind');
  });

  it('with the Landlock step: it runs after setpriv (no_new_privs already set) and before chroot, scoping abstract unix sockets and signals', () => {
    const launch = normalizeLaunch(LaunchSchema.parse({ mode: 'engine-chroot', command: ['/bin/svc'], user: 'svc' }));
    const args = launchCommand(launch, '/j', IDENTITY, { ...TOOLS, landlock: '/var/cache/jailwright/landlock-scope-0123' }).args;
    const step = args.indexOf('/var/cache/jailwright/landlock-scope-0123');
    expect(step).toBeGreaterThan(args.indexOf('--clear-groups'));
    expect(args.slice(step, step + 5)).toEqual(['/var/cache/jailwright/landlock-scope-0123', '--scope', 'abstract-unix-socket,signal', '--', '/usr/sbin/chroot']);
    expect(launchCommand(launch, '/j', IDENTITY, TOOLS).args.join(' ')).not.toContain('--scope');
  });

  it('refuses to run an engine-chroot service as root', () => {
    const launch = normalizeLaunch(LaunchSchema.parse({ mode: 'engine-chroot', command: ['/bin/svc'], user: 'svc' }));
    expect(() => launchCommand(launch, '/j', { uid: 0, gid: 0, groups: [] }, TOOLS)).toThrow(/never runs the service as uid or gid 0/);
  });
});

describe('the launch section of a recipe', () => {
  it('fills defaults', () => {
    const recipe = parse('  mode: engine-chroot\n  command: [/bin/svc]\n  user: svc\n');
    expect(normalizeLaunch(recipe.launch!)).toEqual({
      mode: 'engine-chroot',
      command: ['/bin/svc'],
      user: 'svc',
      groups: [],
      env: {},
      namespaces: { net: false },
      capabilities: [],
      proc: 'none',
      stop: { signal: 'SIGTERM', timeoutSeconds: 10 },
      restart: 'no',
      readyTimeoutSeconds: 10,
      sharedUser: false,
      companions: [],
    });
  });

  it.each([
    ['  mode: engine-chroot\n  command: [/bin/svc]\n', /launch: engine-chroot needs `user`/],
    ['  mode: engine-chroot\n  command: [/bin/svc]\n  user: root\n', /never runs the service as root/],
    ['  mode: engine-chroot\n  command: [svc]\n  user: svc\n', /launch\.command\[0\]: the program "svc" must be an absolute path \(inside the jail\)/],
    ['  mode: engine-chroot\n  command: [/bin/svc]\n  user: svc\n  workdir: /var/www\n', /workdir is for self-chroot only/],
    ['  mode: chroot\n  command: [/bin/svc]\n', /unknown launch mode "chroot"/],
    ['  mode: self-chroot\n  command: [/bin/svc]\n  capabilities: [CAP_NET_BIND_SERVICE]\n', /unknown capability "CAP_NET_BIND_SERVICE" .*did you mean "net_bind_service"/],
    ['  mode: self-chroot\n  command: [/bin/svc]\n  restart: always\n', /unknown restart policy "always"/],
    ['  mode: self-chroot\n  command: [/bin/svc]\n  namespace: { net: true }\n', /unknown key "namespace" .*did you mean "namespaces"/],
  ])('rejects %j', (launch, message) => {
    expect(() => parse(launch)).toThrow(message);
  });
});

describe('restart backoff', () => {
  it('restarts first within 1 s and backs off up to 10 s', () => {
    expect(restartDelayMs(0)).toBeLessThan(1000);
    expect([0, 1, 2, 3].map(restartDelayMs)).toEqual([100, 200, 400, 800]);
    expect(restartDelayMs(20)).toBe(10_000);
  });
});
