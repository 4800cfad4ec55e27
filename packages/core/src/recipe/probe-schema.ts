import { z } from 'zod';
import { AccountName, jailPath, oneOf, regex } from './schema-parts.js';

/** How long one probe attempt may take when the recipe does not say. */
export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;

/** DNS record types the dns probe can ask for and read. */
export const DNS_RECORD_TYPES = ['A', 'AAAA', 'MX', 'TXT', 'NS', 'SOA', 'CNAME'] as const;

export type DnsRecordType = (typeof DNS_RECORD_TYPES)[number];

const timeoutMs = z
  .number()
  .int()
  .positive()
  .max(600_000)
  .default(DEFAULT_PROBE_TIMEOUT_MS)
  .meta({ description: `How long one attempt may take, in milliseconds. Default: ${DEFAULT_PROBE_TIMEOUT_MS}.` });

const host = z
  .string()
  .min(1)
  .default('127.0.0.1')
  .meta({ description: 'Address or host name to connect to. Default: 127.0.0.1.' });

const Port = z.number().int().min(1).max(65_535);

function port(description: string) {
  return Port.meta({ description });
}

function portWithDefault(description: string, fallback: number) {
  return Port.default(fallback).meta({ description: `${description} Default: ${fallback}.` });
}

const HttpProbe = z
  .strictObject({
    type: z.literal('http'),
    host,
    port: port('TCP port of the web server.'),
    path: z
      .string()
      .regex(/^\//, { error: (issue) => `path ${JSON.stringify(issue.input)} must start with "/"` })
      .default('/').meta({ description: 'Request path. Default: "/".' }),
    method: z.enum(['HEAD', 'GET']).default('HEAD').meta({ description: 'HEAD (default) or GET; expectBody needs GET.' }),
    expectStatus: z.number().int().min(100).max(599).default(200).meta({ description: 'The HTTP status the server must answer. Default: 200.' }),
    expectBody: regex('A pattern the response body must match (GET only).').optional(),
    timeoutMs,
  })
  .superRefine((probe, context) => {
    if (probe.expectBody !== undefined && probe.method !== 'GET') {
      context.addIssue({ code: 'custom', path: ['expectBody'], message: 'expectBody needs method: GET (a HEAD answer has no body)' });
    }
  })
  .meta({ title: 'HTTP probe', description: 'Sends one HTTP request over TCP and checks the status (and, for GET, the body).' });

const DnsProbe = z
  .strictObject({
    type: z.literal('dns'),
    server: z.string().min(1).default('127.0.0.1').meta({ description: 'IP address of the DNS server. Default: 127.0.0.1.' }),
    port: portWithDefault('UDP port of the DNS server.', 53),
    name: z.string().min(1).meta({ description: 'The name to look up, e.g. "www.example.test".' }),
    recordType: z.enum(DNS_RECORD_TYPES).default('A').meta({ description: `Record type to ask for: ${DNS_RECORD_TYPES.join(', ')}. Default: A.` }),
    expect: z
      .string()
      .min(1)
      .meta({
        description:
          'A record the answer must hold, written as dig shows its data: "192.0.2.1", "2001:db8::1", "10 mail.example.test", "ns1.example.test", a TXT text. Without it any record of the type will do.',
      })
      .optional(),
    authoritative: z.boolean().meta({ description: 'When set, the answer\'s AA (authoritative answer) flag must equal it.' }).optional(),
    timeoutMs,
  })
  .meta({ title: 'DNS probe', description: 'Asks a DNS server one question over UDP and checks the answer.' });

const SmtpProbe = z
  .strictObject({
    type: z.literal('smtp'),
    host,
    port: portWithDefault('TCP port of the mail server.', 25),
    expectBanner: regex('A pattern the 220 greeting must match.').optional(),
    ehlo: z.string().min(1).default('jailwright.test').meta({ description: 'Name sent with EHLO (or HELO). Default: "jailwright.test".' }),
    timeoutMs,
  })
  .meta({ title: 'SMTP probe', description: 'Reads the 220 banner, sends EHLO (HELO when the server answers EHLO with 500 or 502, as RFC 5321 §3.2 says) and expects 250, then QUIT.' });

const TcpProbe = z
  .strictObject({
    type: z.literal('tcp'),
    host,
    port: port('TCP port that must accept a connection.'),
    timeoutMs,
  })
  .meta({ title: 'TCP probe', description: 'A TCP connection to host:port succeeds.' });

const ProcessProbe = z
  .strictObject({
    type: z.literal('process'),
    user: AccountName.meta({ description: 'The service account (name or numeric id, looked up on the host): every process must run with its uid, never 0.' }),
    group: AccountName.meta({ description: "The service group (name or numeric id). Default: the user's primary group." }).optional(),
    root: z
      .string()
      .regex(/^\//, { error: (issue) => `root ${JSON.stringify(issue.input)} must be an absolute host path` })
      .meta({ description: "Host path every process's root directory must resolve to. Default: the jail root being checked." })
      .optional(),
    scope: z
      .enum(['all', 'children'], { error: oneOf('process scope', ['all', 'children']) })
      .default('all')
      .meta({
        description:
          '"all" (default): the service process and every process it started. "children": only the processes it started, and there must be at least one — ' +
          'for a service whose main process stays root outside the jail by design and chroots its workers (Apache with ChrootDir).',
      }),
    timeoutMs,
  })
  .meta({
    title: 'Process probe',
    description: 'Every process of the service runs as the service user and group (real, effective, saved and file-system ids), not root, with its root in the jail.',
  });

const LogProbe = z
  .strictObject({
    type: z.literal('log'),
    file: jailPath('Absolute path of the log file inside the jail.'),
    pattern: regex('A pattern one line of the file must match.'),
    sinceStart: z
      .boolean()
      .default(false)
      .meta({
        description:
          'Only count lines written after the probe starts. `check` starts it before any other probe sends a request, so the line the http probe\'s own request writes counts and a line of an earlier run does not. Default: false.',
      }),
    timeoutMs,
  })
  .meta({ title: 'Log probe', description: 'A line matching the pattern appears in a file inside the jail before the timeout.' });

/** A health probe: one check that a jailed service really works. */
export const ProbeSchema = z
  .discriminatedUnion('type', [HttpProbe, DnsProbe, SmtpProbe, TcpProbe, ProcessProbe, LogProbe])
  .meta({ title: 'Probe', description: 'A health check of the jailed service: http, dns, smtp, tcp, process or log.' });

/** A probe with every default filled (what the checks read). */
export type Probe = z.infer<typeof ProbeSchema>;
/** A probe as written: defaults may be left out. */
export type ProbeInput = z.input<typeof ProbeSchema>;
export type ProbeType = Probe['type'];
export type HttpProbe = z.infer<typeof HttpProbe>;
export type DnsProbe = z.infer<typeof DnsProbe>;
export type SmtpProbe = z.infer<typeof SmtpProbe>;
export type TcpProbe = z.infer<typeof TcpProbe>;
export type ProcessProbe = z.infer<typeof ProcessProbe>;
export type LogProbe = z.infer<typeof LogProbe>;
