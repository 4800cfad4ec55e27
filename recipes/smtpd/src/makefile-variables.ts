/** Obtuse SMTPD's compile-time settings: each is the Makefile variable of the same name, set on make's command line. */
export interface SmtpdBuildOptions {
  /** SPOOLDIR: the chroot directory smtpd uses without -c, and where smtpfwdd looks without -d. Default /srv/jails/smtpd (the jail). */
  spoolDir?: string;
  /** SPOOLSUBDIR: the spool inside the jail. Default /mqueue. */
  spoolSubdir?: string;
  /** SMTP_USER and SMTP_GROUP: the unprivileged account both daemons run as; it owns the spool. */
  user?: string;
  group?: string;
  /** MAIL_AGENT: what smtpfwdd pipes each message to, as `MAIL_AGENT -oiTrue -f <from> <rcpts>`. */
  mailAgent?: string;
  /** LOG_FACILITY. */
  logFacility?: string;
  /** POLL_TIME: seconds between smtpfwdd's looks at the spool. */
  pollTime?: number;
  /** MAXCHILDREN: smtpfwdd's deliveries at a time. */
  maxChildren?: number;
  /** CHECK_ADDRESS: the address-check rules (CHECK_FILE, inside the jail). */
  checkAddress?: boolean;
  checkFile?: string;
  /** JUNIPER_SUPPORT: must be off anywhere but a Juniper firewall (juniper_firewall.h). */
  juniperSupport?: boolean;
  /** USE_REGEX: POSIX regexes in check rules. */
  useRegex?: boolean;
  /** NS_MATCH: NS= patterns in check rules (resolver lookups of name servers). */
  nsMatch?: boolean;
}

export const SMTPD_BUILD_DEFAULTS = {
  spoolDir: '/srv/jails/smtpd',
  spoolSubdir: '/mqueue',
  user: 'jw-smtpd',
  group: 'jw-smtpd',
  mailAgent: '/usr/sbin/sendmail',
  logFacility: 'LOG_MAIL',
  pollTime: 10,
  maxChildren: 10,
  checkAddress: false,
  checkFile: '/etc/smtpd_check_rules',
  juniperSupport: false,
  useRegex: true,
  nsMatch: false,
} as const satisfies Required<SmtpdBuildOptions>;

/** The Makefile's "The Source is with you (*BSD 4.4, Linux)" CFLAGS: flock(2) locking and mkstemp(3) spool names. */
export const SMTPD_CFLAGS = '-g -O -Wall -DUSE_FLOCK -DUSE_MKSTEMP $(OPTIONS)';

/**
 * LD_LIBS ends the Makefile's link lines. smtpd.c and smtpfwdd.c call accumlog(), and accumlog.o is built (both
 * programs list it as a prerequisite) but left off both link lines, so it goes here; -lresolv only for NS_MATCH.
 */
export function smtpdLinkLibraries(nsMatch: boolean): string {
  return nsMatch ? 'accumlog.o -lresolv' : 'accumlog.o';
}

/** A value make and the C string in OPTIONS both take as is: no spaces, quotes, "$", "#" or backslashes. */
function word(name: string, value: string): string {
  if (value === '' || /[\s"'$#\\`]/.test(value)) throw new Error(`${name}: ${JSON.stringify(value)} must be one word without quotes, "$", "#" or backslashes`);
  return value;
}

function absolute(name: string, value: string): string {
  if (!value.startsWith('/') || value.split('/').includes('..')) throw new Error(`${name}: ${JSON.stringify(value)} must be an absolute path without ".."`);
  return word(name, value);
}

function count(name: string, value: number, max: number): string {
  if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`${name}: ${value} must be a whole number from 1 to ${max}`);
  return String(value);
}

const flag = (value: boolean) => (value ? '1' : '0');

/** The Makefile variables, in the Makefile's own order, from the options. */
export function smtpdMakeVariables(options: SmtpdBuildOptions = {}): Record<string, string> {
  const settings = { ...SMTPD_BUILD_DEFAULTS, ...options };
  if (settings.user === 'root' || settings.group === 'root') throw new Error('SMTP_USER and SMTP_GROUP must not be root: smtpd and smtpfwdd refuse to run as root');
  if (!/^LOG_[A-Z0-9]+$/.test(settings.logFacility)) throw new Error(`LOG_FACILITY: ${JSON.stringify(settings.logFacility)} is not a syslog facility such as LOG_MAIL or LOG_LOCAL5`);
  return {
    MAIL_AGENT: absolute('MAIL_AGENT', settings.mailAgent),
    SMTP_USER: word('SMTP_USER', settings.user),
    SMTP_GROUP: word('SMTP_GROUP', settings.group),
    LOG_FACILITY: settings.logFacility,
    SPOOLDIR: absolute('SPOOLDIR', settings.spoolDir),
    SPOOLSUBDIR: absolute('SPOOLSUBDIR', settings.spoolSubdir),
    POLL_TIME: count('POLL_TIME', settings.pollTime, 1000),
    MAXCHILDREN: count('MAXCHILDREN', settings.maxChildren, 1000),
    CHECK_ADDRESS: flag(settings.checkAddress),
    JUNIPER_SUPPORT: flag(settings.juniperSupport),
    USE_REGEX: flag(settings.useRegex),
    NS_MATCH: flag(settings.nsMatch),
    CHECK_FILE: absolute('CHECK_FILE', settings.checkFile),
    LD_LIBS: smtpdLinkLibraries(settings.nsMatch),
    CFLAGS: SMTPD_CFLAGS,
  };
}

/** make's command line: `make VAR=value ...` overrides the Makefile's own assignments. */
export function smtpdMakeArguments(options: SmtpdBuildOptions = {}): string[] {
  return Object.entries(smtpdMakeVariables(options)).map(([name, value]) => `${name}=${value}`);
}
