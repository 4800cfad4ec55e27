import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SYSLOG,
  formatSyslogPlan,
  normalizeRateLimit,
  normalizeRecipe,
  parseRecipe,
  SOLARIS_MKNOD_REFUSAL,
  startSyslog,
  syslogNgSnippet,
  syslogPlan,
} from '../../src/index.js';

const context = { jailRoot: '/srv/jails/demo', jailName: 'demo', stateDir: '/srv/jails/.demo.jailwright' };

function recipeWith(syslog: string) {
  return parseRecipe(`specVersion: 1\nname: demo\njail:\n  include: [base]\nsyslog: ${syslog}\n`, 'recipe.yaml');
}

describe('syslog settings in the recipe', () => {
  it('reads every method and keeps them through normalization; no section means the relay', () => {
    for (const method of ['relay', 'rsyslog', 'syslog-ng', 'daemon-per-jail', 'solaris-mknod', 'none']) {
      expect(normalizeRecipe(recipeWith(`{ method: ${method} }`)).syslog).toEqual({ method });
    }
    expect(normalizeRecipe(parseRecipe('specVersion: 1\nname: demo\njail: {}\n', 'recipe.yaml')).syslog).toBeUndefined();
    expect(DEFAULT_SYSLOG).toEqual({ method: 'relay' });
  });

  it('names the known methods and suggests the closest on a typo', () => {
    expect(() => recipeWith('{ method: rsylog }')).toThrow(/unknown syslog method "rsylog" — known syslog methods: relay, rsyslog, .*\(did you mean "rsyslog"\?\)/);
    expect(() => recipeWith('{ target: /dev/log }')).toThrow(/syslog: missing required key "method"/);
    expect(() => recipeWith('{ method: relay, rateLimit: { policy: wait } }')).toThrow(/unknown rate limit policy "wait"/);
    expect(() => recipeWith('{ method: none, target: /dev/log }')).toThrow(/target/);
  });

  it('fills the relay rate limit defaults and turns it off with false', () => {
    expect(normalizeRateLimit(undefined)).toEqual({ intervalMs: 1000, base: 1000, peak: 5000, policy: 'drop' });
    expect(normalizeRateLimit({ interval: 10, base: 8, policy: 'block' })).toEqual({ intervalMs: 10_000, base: 8, peak: 40, policy: 'block' });
    expect(normalizeRateLimit(false)).toBeUndefined();
  });
});

describe('syslog plans (no root, nothing touched)', () => {
  it('plans the relay with its limit, target and pidfile', () => {
    const plan = syslogPlan({ method: 'relay', rateLimit: { base: 50, peak: 100, policy: 'block' } }, context);
    const text = formatSyslogPlan(plan);
    expect(text).toContain('the engine\'s relay listens on /srv/jails/demo/dev/log and forwards to /dev/log');
    expect(text).toContain('rate limit: 50 messages per 1000 ms, bursts of 100, over it block the sender');
    expect(text).toContain('--jail-name demo --target /dev/log');
    expect(text).toContain('/srv/jails/.demo.jailwright/syslog/relay.pid');
    expect(syslogPlan(undefined, context).method).toBe('relay');
  });

  it('plans the rsyslog drop-in, its check and the restart (rsyslog 8 reads no new input on SIGHUP)', () => {
    const plan = syslogPlan({ method: 'rsyslog', restartCommand: ['systemctl', 'restart', 'rsyslog'] }, context);
    expect(plan.files).toEqual([
      {
        path: '/etc/rsyslog.d/jailwright-demo.conf',
        content:
          '# Written by jailwright for the jail "demo"; `jailwright stop --purge` removes it.\n' +
          '# UsePIDFromSystem: the pid logged is the one the kernel saw, not the one the jailed process wrote.\n' +
          'input(type="imuxsock" Socket="/srv/jails/demo/dev/log" CreatePath="on" UsePIDFromSystem="on")\n',
      },
    ]);
    expect(plan.steps).toContain('check the configuration: rsyslogd -N1 -f /etc/rsyslog.conf');
    expect(plan.steps.join('\n')).toContain('systemctl restart rsyslog');
  });

  it('writes the syslog-ng unix-dgram source snippet', () => {
    expect(syslogNgSnippet({ method: 'syslog-ng' }, { jailRoot: '/srv/jails/my-dns', jailName: 'my-dns' })).toBe(
      '# Written by jailwright for the jail "my-dns"; `jailwright stop --purge` removes it.\n' +
        'source s_jailwright_my_dns { unix-dgram("/srv/jails/my-dns/dev/log" create-dirs(yes)); };\n' +
        'log { source(s_jailwright_my_dns); destination(d_syslog); };\n',
    );
    const plan = syslogPlan({ method: 'syslog-ng', snippetDirectory: '/etc/syslog-ng/jails', destination: 'd_jails' }, context);
    expect(plan.files[0]?.path).toBe('/etc/syslog-ng/jails/jailwright-demo.conf');
    expect(plan.files[0]?.content).toContain('destination(d_jails)');
  });

  it('plans the daemon per jail: its own rsyslogd, only the jail socket in, one file out', () => {
    const plan = syslogPlan({ method: 'daemon-per-jail' }, context);
    expect(plan.files[0]?.content).toContain('module(load="imuxsock" SysSock.Use="off")');
    expect(plan.files[0]?.content).toContain('input(type="imuxsock" Socket="/srv/jails/demo/dev/log"');
    expect(plan.files[0]?.content).toContain('file="/srv/jails/.demo.jailwright/syslog/messages.log"');
  });

  it('prints the Solaris mknod form but refuses it on Linux, saying why and what to use', async () => {
    const plan = syslogPlan({ method: 'solaris-mknod' }, context);
    expect(plan.steps).toEqual(['mknod /srv/jails/demo/dev/log c 21 5', 'mknod /srv/jails/demo/dev/conslog c 21 0']);
    expect(plan.refused).toBe(SOLARIS_MKNOD_REFUSAL);
    expect(formatSyslogPlan(plan)).toContain('refused here: the solaris-mknod method makes /dev/log and /dev/conslog character devices');
    await expect(startSyslog({ method: 'solaris-mknod' }, context)).rejects.toThrow(/Linux has no such driver.*Use syslog method relay/);
  });

  it('does nothing for none', async () => {
    expect(syslogPlan({ method: 'none' }, context)).toEqual({ method: 'none', summary: 'no syslog socket in the jail', steps: [], files: [] });
    const handle = await startSyslog({ method: 'none' }, { ...context, stateDir: '/nonexistent/state' });
    expect(handle).toMatchObject({ method: 'none', files: [], notes: [] });
    expect(handle.socketPath).toBeUndefined();
    await handle.stop({ purge: true });
  });
});
