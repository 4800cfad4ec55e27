import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { HostView, applySourceEdits, loadRecipe, planJail } from '@jailwright/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPD_EDITS, recipeFile, smtpdMakeArguments, smtpdMakeVariables, smtpdRecipe } from '../src/index.js';

const execFileAsync = promisify(execFile);

// Verbatim from OpenBSD's libexec/smtpd/src/Makefile (1.5, 2001): the OPTIONS that turn the variables into
// -D flags. make's command-line assignments override the Makefile's own, which is how the recipe sets them.
const OPTIONS = String.raw`OPTIONS = -DMAIL_AGENT=\"$(MAIL_AGENT)\" -DSMTP_USER=\"$(SMTP_USER)\" \
	-DSMTP_GROUP=\"$(SMTP_GROUP)\" \
	-DLOG_FACILITY=$(LOG_FACILITY) -DVANILLA_MESSAGES=$(VANILLA_MESSAGES) \
	-DSPOOLDIR=\"$(SPOOLDIR)\" -DSPOOLSUBDIR=\"$(SPOOLSUBDIR)\" \
	-DPOLL_TIME=$(POLL_TIME) -DSENDMAIL_RETRY=$(SENDMAIL_RETRY) \
	-DSENDMAIL_OITRUE=$(SENDMAIL_OITRUE) -DSTRIP_QUOTES=$(STRIP_QUOTES) \
	-DMAXCHILDREN=$(MAXCHILDREN) -DMAXARGS=$(MAXARGS) \
	-DREAD_TIMEOUT=$(READ_TIMEOUT) -DNO_HOSTCHECKS=$(NO_HOSTCHECKS) \
	-DPARANOID_SMTP=$(PARANOID_SMTP) -DPARANOID_DNS=$(PARANOID_DNS) \
	-DNO_COMMANDLINE_OPTIONS=$(NO_COMMANDLINE_OPTIONS) \
	-DEHLO_KLUDGE=$(EHLO_KLUDGE) \
	-DCHECK_ADDRESS=$(CHECK_ADDRESS) -DCHECK_FILE=\"$(CHECK_FILE)\" \
	-DCHECK_ADDRESS_DENY_ON_FAILURE=$(CHECK_ADDRESS_DENY_ON_FAILURE) \
	-DCHECK_IDENT=$(CHECK_IDENT) \
	-DNOTO_DELAY=$(NOTO_DELAY) -DDENY_DELAY=$(DENY_DELAY) \
	-DSET_LOCALE=$(SET_LOCALE) -DLOCALIZATION=\"$(LOCALIZATION)\" \
	-DJUNIPER_SUPPORT=$(JUNIPER_SUPPORT) -DNS_MATCH=$(NS_MATCH) \
	-DUSE_REGEX=$(USE_REGEX)`;
// The same Makefile's defaults for the variables the recipe sets (the uucp account, the Juniper header on).
const DEFAULTS = ['MAIL_AGENT = /usr/sbin/sendmail', 'SMTP_USER = uucp', 'SMTP_GROUP = uucp', 'LOG_FACILITY = LOG_MAIL', 'SPOOLDIR = /usr/spool/smtpd', 'SPOOLSUBDIR = .', 'POLL_TIME = 10', 'MAXCHILDREN = 10', 'CHECK_ADDRESS = 1', 'JUNIPER_SUPPORT=1', 'USE_REGEX=1', 'NS_MATCH=1', 'CHECK_FILE = /etc/smtpd_check_rules', 'LD_LIBS=-lresolv  # you may or may not need this.', 'CFLAGS = -g -O -Wall -DUSE_FLOCK -DUSE_MKSTEMP $(OPTIONS)'];

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'jailwright-smtpd-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('Makefile variables from the recipe options', () => {
  it('sets every variable the issue names, each one the Makefile assigns', () => {
    const variables = smtpdMakeVariables();
    expect(Object.keys(variables)).toEqual(['MAIL_AGENT', 'SMTP_USER', 'SMTP_GROUP', 'LOG_FACILITY', 'SPOOLDIR', 'SPOOLSUBDIR', 'POLL_TIME', 'MAXCHILDREN', 'CHECK_ADDRESS', 'JUNIPER_SUPPORT', 'USE_REGEX', 'NS_MATCH', 'CHECK_FILE', 'LD_LIBS', 'CFLAGS']);
    const assigned = DEFAULTS.map((line) => line.split('=')[0]!.trim());
    for (const name of Object.keys(variables)) expect(assigned).toContain(name);
  });

  it('reach the compiler through the real OPTIONS line when given to make on its command line', async () => {
    const makefile = path.join(scratch, 'Makefile');
    await writeFile(makefile, `${DEFAULTS.join('\n')}\n${OPTIONS}\nshow:\n\t@echo $(CFLAGS)\n`);
    const { stdout } = await execFileAsync('make', ['-s', '-f', makefile, 'show', ...smtpdMakeArguments({ spoolDir: '/var/chroot', mailAgent: '/usr/lib/sendmail', pollTime: 2 })]);
    expect(stdout).toContain('-DUSE_FLOCK -DUSE_MKSTEMP -DMAIL_AGENT="/usr/lib/sendmail" -DSMTP_USER="jw-smtpd" -DSMTP_GROUP="jw-smtpd" -DLOG_FACILITY=LOG_MAIL');
    expect(stdout).toContain('-DSPOOLDIR="/var/chroot" -DSPOOLSUBDIR="/mqueue" -DPOLL_TIME=2');
    expect(stdout).toContain('-DCHECK_ADDRESS=0 -DCHECK_FILE="/etc/smtpd_check_rules"');
    expect(stdout).toContain('-DJUNIPER_SUPPORT=0 -DNS_MATCH=0 -DUSE_REGEX=1');
  });

  it('refuses root, words that would break make or the C string, and relative paths', () => {
    expect(() => smtpdMakeVariables({ user: 'root' })).toThrow('must not be root');
    expect(() => smtpdMakeVariables({ mailAgent: '/usr/sbin/sendmail -t' })).toThrow('MAIL_AGENT: "/usr/sbin/sendmail -t" must be one word');
    expect(() => smtpdMakeVariables({ spoolSubdir: 'mqueue' })).toThrow('SPOOLSUBDIR: "mqueue" must be an absolute path');
    expect(() => smtpdMakeVariables({ pollTime: 0 })).toThrow('POLL_TIME: 0 must be a whole number from 1 to 1000');
    expect(() => smtpdMakeVariables({ logFacility: 'mail' })).toThrow('LOG_FACILITY');
  });
});

describe('source edits, on a small tree holding the released lines', () => {
  it('each edit matches once, and the recipe declares them all', async () => {
    const tree = await mkdtemp(path.join(scratch, 'tree-'));
    // Verbatim lines of smtpd.c 1.7 (1998/07/10) and smtpfwdd.c 1.5 (2000/10/19) in OpenBSD's libexec/smtpd/src.
    await writeFile(
      path.join(tree, 'smtpd.c'),
      '#include <stdarg.h>\n#include <stdlib.h>\n#include <stdio.h>\n#include <signal.h>\n' +
        '  char *optstring = "l:p:q:d:u:s:g:m:i:cHPDL";\n' +
        "    sa.sin_addr.s_addr = listen_addr.s_addr;\n\n    /* Need to do this while we're still root */\n\n    if ( bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ) {\n" +
        '/*\n * The brains of this operation\n */\n\nint\nmain(int argc, char **argv)\n' +
        '  if ( daemon_mode ) {\n    int failures;\n    int rval;\n\n    rval = fork();\n    if ( rval > 0 ) {\n\t/* Parent - just exit */\n\texit(EX_OK);\n' +
        '    failures = 0;\n    syslog(LOG_INFO,"smtpd running in daemon mode - ready to accept connections");\n',
    );
    await writeFile(
      path.join(tree, 'smtpfwdd.c'),
      '#include <stdio.h>\n#include <signal.h>\n' +
        '  if ((pid = fork()) != 0) {\n    if (pid < 0) {\n      syslog(LOG_CRIT, "fork failed (%m) while trying to become a daemon");\n',
    );
    const applied = await applySourceEdits(tree, SMTPD_EDITS);
    expect(applied.map((edit) => `${edit.file} ${edit.replacements}`)).toEqual(['smtpd.c 1', 'smtpfwdd.c 1', 'smtpd.c 1', 'smtpd.c 1', 'smtpd.c 1', 'smtpd.c 1', 'smtpd.c 1', 'smtpfwdd.c 1']);
    const smtpd = await readFile(path.join(tree, 'smtpd.c'), 'utf8');
    expect(smtpd).toContain('#include <stdio.h>\n#include <time.h>\n#include <signal.h>\n');
    expect(smtpd).toContain('"l:p:q:d:u:s:g:m:i:c:HPDL"');
    expect(smtpd).toContain("still root */\n    { int on = 1; (void) setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)); } /* jailwright */\n\n    if ( bind(");
    expect(smtpd).toContain('    rval = 0; /* jailwright: -D stays in the foreground under the supervisor */\n');
    expect(smtpd).toContain('static void\njailwright_stop(int s)\n{\n  _exit(EX_OK);\n}\n\n/*\n * The brains of this operation');
    expect(smtpd).toContain('    signal(SIGTERM, jailwright_stop); /* jailwright */\n    failures = 0;\n');
    expect(await readFile(path.join(tree, 'smtpfwdd.c'), 'utf8')).toContain('#include <stdio.h>\n#include <time.h>\n#include <signal.h>\n  if ((pid = 0) != 0) {');
    expect((await loadRecipe(recipeFile)).recipe.build?.profiles.default?.edits).toEqual(SMTPD_EDITS);
  });
});

describe('the recipe', () => {
  it('recipe.yaml is what smtpdRecipe() generates', async () => {
    await expect(smtpdRecipe()).toMatchFileSnapshot('../recipe.yaml');
  });

  it('runs smtpd -D chrooting itself with the fixed -c, and smtpfwdd outside the jail as a companion', async () => {
    const { recipe } = await loadRecipe(recipeFile);
    expect(recipe.launch?.command).toEqual(['/usr/local/sbin/smtpd', '-D', '-c', '{root}', '-d', '/mqueue', '-u', 'jw-smtpd', '-g', 'jw-smtpd', '-p', '2525', '-l', '127.0.0.1', '-i', '{root}/run/smtpd.pid']);
    expect(recipe.launch?.capabilities).toEqual(['sys_chroot', 'setuid', 'setgid']);
    expect(recipe.launch?.companions).toEqual([
      { name: 'smtpfwdd', command: ['/usr/local/sbin/smtpfwdd', '-u', 'jw-smtpd', '-g', 'jw-smtpd', '-d', '{root}/mqueue', '-s', '/usr/sbin/sendmail', '-P', '10'] },
    ]);
    expect(smtpdRecipe({ port: 25 })).toContain('capabilities: [sys_chroot, setuid, setgid, net_bind_service]');
    expect(smtpdRecipe({ checkAddress: true })).toContain('path: /etc/smtpd_check_rules');
  });

  it("plans Listing 3's jail: the spool only the SMTP user can use, the resolver and NSS pieces, no program", async () => {
    const { recipe } = await loadRecipe(recipeFile);
    const plan = await planJail(recipe, new HostView());
    const paths = plan.operations.map((operation) => `${operation.kind} ${operation.path}`);
    expect(paths).toEqual(expect.arrayContaining(['directory /mqueue', 'copy /etc/hosts', 'copy /etc/resolv.conf', 'copy /etc/host.conf', 'write /etc/nsswitch.conf', 'write /etc/passwd']));
    expect(paths.some((entry) => entry.includes('smtpd'))).toBe(false);
    const spool = plan.operations.find((operation) => operation.path === '/mqueue');
    expect(spool && 'mode' in spool ? spool.mode : undefined).toBe(0o700);
  });
});
