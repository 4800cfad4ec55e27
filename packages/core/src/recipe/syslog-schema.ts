import { z } from 'zod';
import { didYouMean } from './did-you-mean.js';
import { jailPathProblem } from './jail-path.js';

/** The ways a jail gets a syslog socket: the article's three, mapped to Linux, plus an engine-owned relay and none. */
export const SYSLOG_METHODS = ['relay', 'rsyslog', 'syslog-ng', 'daemon-per-jail', 'solaris-mknod', 'none'] as const;

/** What the relay does with messages over its rate limit (or when its buffer is full while the target is down). */
export const RATE_LIMIT_POLICIES = ['drop', 'block'] as const;

export type SyslogMethod = (typeof SYSLOG_METHODS)[number];
export type RateLimitPolicy = (typeof RATE_LIMIT_POLICIES)[number];

function hostPath(description: string) {
  return z
    .string()
    .superRefine((value, context) => {
      const problem = jailPathProblem(value);
      if (problem) context.addIssue({ code: 'custom', message: problem });
      // These paths are written into rsyslog and syslog-ng configuration strings.
      else if (/["\\\n]/.test(value)) context.addIssue({ code: 'custom', message: `path ${JSON.stringify(value)} must not contain a double quote, a backslash or a newline` });
    })
    .meta({ description, pattern: '^/.' });
}

const RateLimit = z
  .strictObject({
    interval: z.number().positive().max(3600).meta({ description: 'Length of one interval in seconds. Default: 1.' }).optional(),
    base: z.int().positive().max(10_000_000).meta({ description: 'Messages per interval allowed in the long run. Default: 1000.' }).optional(),
    peak: z.int().positive().max(10_000_000).meta({ description: 'Burst size: messages that may pass at once after a quiet time. Default: 5 × base.' }).optional(),
    policy: z
      .enum(RATE_LIMIT_POLICIES, {
        error: (issue) => `unknown rate limit policy ${JSON.stringify(issue.input)} — "drop" (drop and count, the default) or "block" (stop reading, so the sender waits)`,
      })
      .meta({
        description:
          '"drop": messages over the limit are dropped and counted, and the relay logs how many every interval (the service never waits). ' +
          '"block": the relay stops reading its socket, so the sender blocks in syslog(3) until the limit allows more (nothing is lost, the service slows down).',
      })
      .optional(),
  })
  .meta({ title: 'Rate limit', description: 'A token bucket: `base` messages per `interval`, bursts up to `peak`.' });

const Relay = z
  .strictObject({
    method: z.literal('relay'),
    target: hostPath('The host syslog socket the relay forwards to. Default: /dev/log.').optional(),
    rateLimit: z
      .union([RateLimit, z.literal(false)])
      .meta({ description: 'The rate limit, or false for none. Default: 1000 messages per second, bursts of 5000, policy drop.' })
      .optional(),
    bufferBytes: z
      .int()
      .min(65_536)
      .max(256 * 1024 * 1024)
      .meta({ description: 'Messages held while the target is down (e.g. the host syslog restarts), in bytes; past it the policy applies. Default: 1 MiB.' })
      .optional(),
    tag: z.boolean().meta({ description: 'Prefix each message tag with the jail name ("demo/named[42]: ..."). Default: true.' }).optional(),
  })
  .meta({
    title: 'Relay',
    description:
      'The engine owns <jail>/dev/log and forwards each message to the host syslog, tagged with the jail name, with the sender’s pid/uid/gid passed on, rate-limited, buffered across a restart of the host syslog.',
  });

const Rsyslog = z
  .strictObject({
    method: z.literal('rsyslog'),
    dropInDirectory: hostPath('Where the drop-in goes. Default: /etc/rsyslog.d.').optional(),
    config: hostPath('The main rsyslog configuration, checked with `rsyslogd -N1` before rsyslog restarts. Default: /etc/rsyslog.conf.').optional(),
    pidFile: hostPath('The pidfile of the running rsyslogd. Default: /run/rsyslogd.pid.').optional(),
    restartCommand: z
      .array(z.string().min(1))
      .min(1)
      .meta({ description: 'How to restart rsyslog (rsyslog 8 does not read new inputs on SIGHUP). Default: systemctl try-restart rsyslog.service under systemd, else service rsyslog restart.' })
      .optional(),
  })
  .meta({ title: 'rsyslog', description: 'An extra imuxsock input socket in the host rsyslog, from a drop-in file.' });

const SyslogNg = z
  .strictObject({
    method: z.literal('syslog-ng'),
    snippetDirectory: hostPath('Where the snippet goes. Default: /etc/syslog-ng/conf.d.').optional(),
    destination: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'destination must be a syslog-ng identifier such as d_syslog' })
      .meta({ description: 'The syslog-ng destination the jail’s messages go to. Default: d_syslog (Debian’s).' })
      .optional(),
  })
  .meta({ title: 'syslog-ng', description: 'An extra unix-dgram source in the host syslog-ng, from a snippet file.' });

const DaemonPerJail = z
  .strictObject({
    method: z.literal('daemon-per-jail'),
    output: hostPath('The file the jail’s daemon writes. Default: <state directory>/syslog/messages.log.').optional(),
  })
  .meta({ title: 'Daemon per jail', description: 'A separate rsyslogd for this jail, listening only on the jail socket and writing its own file.' });

const SolarisMknod = z
  .strictObject({ method: z.literal('solaris-mknod') })
  .meta({ title: 'Solaris mknod', description: 'The article’s Solaris form (log driver device nodes): plan output only, refused on Linux.' });

const NoSyslog = z.strictObject({ method: z.literal('none') }).meta({ title: 'None', description: 'No syslog socket in the jail.' });

/** The recipe's `syslog:` section: how the jailed service's syslog(3) calls reach the host log. */
export const SyslogSchema = z
  .discriminatedUnion('method', [Relay, Rsyslog, SyslogNg, DaemonPerJail, SolarisMknod, NoSyslog], {
    error: (issue) => {
      const input = (issue.input as { method?: unknown } | undefined)?.method;
      const known = `known syslog methods: ${SYSLOG_METHODS.join(', ')}`;
      if (typeof input !== 'string') return `syslog needs a method — ${known}`;
      const suggestion = didYouMean(input, SYSLOG_METHODS);
      return `unknown syslog method ${JSON.stringify(input)} — ${known}${suggestion ? ` (did you mean ${JSON.stringify(suggestion)}?)` : ''}`;
    },
  })
  .meta({ title: 'Syslog', description: `How the jail gets its /dev/log: ${SYSLOG_METHODS.join(', ')}. Default: relay.` });

export type Syslog = z.infer<typeof SyslogSchema>;
export type RelaySyslog = z.infer<typeof Relay>;
export type RsyslogSyslog = z.infer<typeof Rsyslog>;
export type SyslogNgSyslog = z.infer<typeof SyslogNg>;
export type DaemonPerJailSyslog = z.infer<typeof DaemonPerJail>;
export type RelayRateLimit = z.infer<typeof RateLimit>;

export { DEFAULT_SYSLOG } from './vocabulary.js';

/** The relay's rate limit with its defaults filled, or undefined when it is off. */
export interface NormalizedRateLimit {
  intervalMs: number;
  base: number;
  peak: number;
  policy: RateLimitPolicy;
}

/** Fills the relay's rate limit defaults: 1000 per second, bursts of 5 × base, drop and count. */
export function normalizeRateLimit(rateLimit: RelaySyslog['rateLimit']): NormalizedRateLimit | undefined {
  if (rateLimit === false) return undefined;
  const base = rateLimit?.base ?? 1000;
  return {
    intervalMs: Math.round((rateLimit?.interval ?? 1) * 1000),
    base,
    peak: rateLimit?.peak ?? base * 5,
    policy: rateLimit?.policy ?? 'drop',
  };
}
