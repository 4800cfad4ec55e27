import { SMTPD_BUILD_DEFAULTS, smtpdMakeArguments, type SmtpdBuildOptions } from './makefile-variables.js';

/** A recipe-declared source edit, as `build.edits` in recipe.yaml holds it. */
export interface SmtpdSourceEdit {
  file: string;
  find: string;
  replace: string;
  reason: string;
}

const SIGTERM_REASON =
  'smtpd sets no SIGTERM handler, and as pid 1 of its pid namespace it gets no signal it has no handler for: stop\'s SIGTERM was ignored and every stop waited for the SIGKILL after the timeout';

const FOREGROUND = 'the supervisor watches the process it started: a daemon that forks and lets its parent exit looks like a crash (and as pid 1 of its pid namespace, smtpd would take its child down with it)';

/**
 * The edits the released code needs on 64-bit Linux and under a supervisor, on the text of OpenBSD's
 * libexec/smtpd/src (smtpd.c 1.7, smtpfwdd.c 1.5), paths relative to the directory holding smtpd.c.
 */
export const SMTPD_EDITS: SmtpdSourceEdit[] = [
  {
    file: 'smtpd.c',
    find: '#include <stdio.h>\n',
    replace: '#include <stdio.h>\n#include <time.h>\n',
    reason: 'ctime() and time() are called without <time.h>: on 64-bit the implicit int truncates the returned pointer and smtpd segfaults at DATA',
  },
  {
    file: 'smtpfwdd.c',
    find: '#include <stdio.h>\n',
    replace: '#include <stdio.h>\n#include <time.h>\n',
    reason: 'ctime() and time() are called without <time.h>: on 64-bit the implicit int truncates the returned pointer',
  },
  {
    file: 'smtpd.c',
    find: '"l:p:q:d:u:s:g:m:i:cHPDL"',
    replace: '"l:p:q:d:u:s:g:m:i:c:HPDL"',
    reason: 'the option string lacks the ":" after c, so "-c dir" leaves optarg NULL and smtpd crashes reading it',
  },
  {
    file: 'smtpd.c',
    find: "    /* Need to do this while we're still root */\n",
    replace: "    /* Need to do this while we're still root */\n    { int on = 1; (void) setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)); } /* jailwright */\n",
    reason: '-D binds its port without SO_REUSEADDR: a restart within a minute of a session smtpd closed (QUIT) finds the port in TIME_WAIT and exits 71 (EADDRINUSE)',
  },
  {
    file: 'smtpd.c',
    find: '    rval = fork();\n    if ( rval > 0 ) {\n\t/* Parent - just exit */',
    replace: '    rval = 0; /* jailwright: -D stays in the foreground under the supervisor */\n    if ( rval > 0 ) {\n\t/* Parent - just exit */',
    reason: `-D forks once to go to the background; ${FOREGROUND}`,
  },
  {
    file: 'smtpd.c',
    find: '/*\n * The brains of this operation\n */\n',
    replace: '/* jailwright: stop on SIGTERM */\nstatic void\njailwright_stop(int s)\n{\n  _exit(EX_OK);\n}\n\n/*\n * The brains of this operation\n */\n',
    reason: `a SIGTERM handler for -D (defined here); ${SIGTERM_REASON}`,
  },
  {
    file: 'smtpd.c',
    find: '    failures = 0;\n    syslog(LOG_INFO,"smtpd running in daemon mode - ready to accept connections");\n',
    replace: '    signal(SIGTERM, jailwright_stop); /* jailwright */\n    failures = 0;\n    syslog(LOG_INFO,"smtpd running in daemon mode - ready to accept connections");\n',
    reason: `a SIGTERM handler for -D (installed here); ${SIGTERM_REASON}`,
  },
  {
    file: 'smtpfwdd.c',
    find: '  if ((pid = fork()) != 0) {\n    if (pid < 0) {',
    replace: '  if ((pid = 0) != 0) { /* jailwright: stays in the foreground under the supervisor */\n    if (pid < 0) {',
    reason: `smtpfwdd always forks to go to the background; ${FOREGROUND}`,
  },
];

/** What the recipe is generated from: the build settings plus where smtpd listens and where the programs are. */
export interface SmtpdRecipeOptions extends SmtpdBuildOptions {
  /** TCP port smtpd listens on (-p). Default 2525: not privileged, and no clash with a host MTA on 25. */
  port?: number;
  /** Address smtpd binds (-l). Default 127.0.0.1. */
  listen?: string;
  /** Host paths of the installed programs. Default /usr/local/sbin/smtpd and /usr/local/sbin/smtpfwdd, as the article has them. */
  smtpd?: string;
  smtpfwdd?: string;
  /** The recipe's name (and default jail /srv/jails/<name>). Default "smtpd". */
  name?: string;
}

const scalar = (value: string | number): string => JSON.stringify(value);

/** Obtuse SMTPD's recipe: smtpd -D chrooting itself into the spool jail, smtpfwdd outside it as a companion. */
export function smtpdRecipe(options: SmtpdRecipeOptions = {}, schemaPath = '../../packages/core/schema/recipe.schema.json'): string {
  const settings = { ...SMTPD_BUILD_DEFAULTS, ...options };
  const port = options.port ?? 2525;
  const listen = options.listen ?? '127.0.0.1';
  const smtpd = options.smtpd ?? '/usr/local/sbin/smtpd';
  const smtpfwdd = options.smtpfwdd ?? '/usr/local/sbin/smtpfwdd';
  const { user, group, spoolSubdir } = settings;
  const name = options.name ?? 'smtpd';
  const prefix = smtpd.endsWith('/sbin/smtpd') ? smtpd.slice(0, -'/sbin/smtpd'.length) : '/usr/local';
  if (smtpfwdd !== `${prefix}/sbin/smtpfwdd`) throw new Error(`smtpfwdd must be installed beside smtpd, as ${prefix}/sbin/smtpfwdd`);
  const lines: string[] = [
    `# yaml-language-server: $schema=${schemaPath}`,
    '# Generated by smtpdRecipe() in src/smtpd-recipe.ts from its options; test/recipe.test.ts keeps this file equal to it.',
    'specVersion: 1',
    `name: ${name}`,
    `description: ${scalar(`Obtuse SMTPD built from source: smtpd -D chrooting itself into the spool jail as ${user} on ${listen}:${port}, smtpfwdd outside it handing each message to ${settings.mailAgent}.`)}`,
    '# Build: jailwright compile --source <the directory holding smtpd.c, or a tarball of it>.',
    'build:',
    '  profiles:',
    '    default:',
    `      description: ${scalar('make with the Makefile variables below (they override the Makefile\'s own), the two programs installed under the prefix')}`,
    `      prefix: ${prefix}`,
    '      edits:',
  ];
  for (const edit of SMTPD_EDITS) {
    lines.push(`        - file: ${edit.file}`, `          find: ${scalar(edit.find)}`, `          replace: ${scalar(edit.replace)}`, `          reason: ${scalar(edit.reason)}`);
  }
  lines.push(
    '      steps:',
    `        - { name: make, run: [make, ${smtpdMakeArguments(options).map(scalar).join(', ')}] }`,
    '        - { name: install, run: [install, -D, -m, "0755", smtpd, "{destdir}{prefix}/sbin/smtpd"] }',
    '        - { name: install-smtpfwdd, run: [install, -D, -m, "0755", smtpfwdd, "{destdir}{prefix}/sbin/smtpfwdd"] }',
    '      replaces:',
    `        ${smtpd}: sbin/smtpd`,
    `        ${smtpfwdd}: sbin/smtpfwdd`,
  );
  lines.push(
    'jail:',
    '  include: [base]                       # Listing 3: hosts, resolv.conf, host.conf, nsswitch.conf and the NSS modules (smtpd looks up each client), localtime',
    `  users: [{ name: ${user}, create: true }]`,
    '  directories:',
    `    - { path: ${spoolSubdir}, owner: ${user}, group: ${group}, mode: "0700" }   # the spool: only ${user} can write it (or read it)`,
  );
  if (settings.checkAddress) {
    lines.push('  write:', `    - { path: ${settings.checkFile}, content: "# smtpd_check_rules: allow everything\\nallow:ALL:ALL:ALL\\n" }`);
  }
  lines.push(
    '# smtpd chroots itself: it reads its options and looks up -u and -g on the host, binds -l:-p and opens the -i pidfile',
    '# as root, chroots to -c, then drops to -u/-g; spool files go to -d inside the jail, marked complete (0750) when a',
    '# message is in. Capabilities: sys_chroot, setgid and setuid for that; net_bind_service only below port 1024.',
    '# smtpfwdd runs outside the jail (a companion), drops to the same account, polls the spool and pipes each',
    `# complete message to ${settings.mailAgent} -oiTrue -f <from> <recipients>.`,
    'launch:',
    '  mode: self-chroot',
    `  command: [${smtpd}, -D, -c, "{root}", -d, ${spoolSubdir}, -u, ${user}, -g, ${group}, -p, "${port}", -l, ${listen}, -i, "{root}/run/smtpd.pid"]`,
    `  user: ${user}`,
    `  capabilities: [sys_chroot, setuid, setgid${port < 1024 ? ', net_bind_service' : ''}]`,
    '  stop: { timeoutSeconds: 5 }',
    '  companions:',
    `    - { name: smtpfwdd, command: [${smtpfwdd}, -u, ${user}, -g, ${group}, -d, "{root}${spoolSubdir}", -s, ${settings.mailAgent}, -P, "${settings.pollTime}"] }`,
    'syslog: { method: relay }              # the jail\'s /dev/log: smtpd\'s children open syslog after the chroot',
    'probes:',
    `  - { type: smtp, host: ${listen}, port: ${port}, expectBanner: "^220 " }   # EHLO, or HELO: smtpd speaks plain SMTP`,
    `  - { type: process, user: ${user} }`,
  );
  return `${lines.join('\n')}\n`;
}
