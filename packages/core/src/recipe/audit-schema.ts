import { z } from 'zod';
import { oneOf } from './schema-parts.js';

/**
 * The stable ids of the static audit's checks (`jailwright audit`), with their severity. The audit
 * owns what each means; they are listed here because a recipe's `audit.allow` names them.
 */
export const AUDIT_CHECKS = {
  'setuid-file': 'critical',
  'setgid-file': 'critical',
  'file-capability': 'critical',
  'block-device': 'critical',
  'char-device': 'critical',
  'jail-root-unsafe': 'critical',
  'service-writable': 'critical',
  'proc-mount': 'high',
  'sys-mount': 'high',
  'dev-mount': 'high',
  'absolute-symlink': 'high',
  'escaping-symlink': 'high',
  'hard-link': 'high',
  'host-inode': 'high',
  'shadow-file': 'high',
  'password-hash': 'high',
  'private-key': 'high',
  'sudoers-file': 'high',
  'ssh-directory': 'high',
  shell: 'medium',
  interpreter: 'medium',
  compiler: 'medium',
  'network-tool': 'medium',
  'world-writable-dir': 'medium',
  'world-writable-file': 'medium',
  'unix-socket': 'medium',
  fifo: 'medium',
  'other-mount': 'low',
  'differs-from-host': 'low',
} as const;

export type AuditCheck = keyof typeof AUDIT_CHECKS;
export type AuditSeverity = (typeof AUDIT_CHECKS)[AuditCheck];

const CHECK_IDS = Object.keys(AUDIT_CHECKS) as AuditCheck[];

const AllowPath = z
  .string()
  .superRefine((value, context) => {
    if (!value.startsWith('/')) context.addIssue({ code: 'custom', message: `path ${JSON.stringify(value)} is not absolute: write the jail path, e.g. "/usr/bin/ping"` });
    else if (value.includes('\0')) context.addIssue({ code: 'custom', message: `path ${JSON.stringify(value)} contains a NUL character` });
    else if (value.includes('*') && !/^\/([^*]*[^*/])?\/\*\*$|^\/\*\*$/.test(value)) {
      context.addIssue({ code: 'custom', message: `path ${JSON.stringify(value)}: the only wildcard is a final "/**" (everything below a directory)` });
    }
  })
  .meta({
    description:
      'The jail path the finding names (e.g. "/usr/bin/ping"), or a directory followed by "/**" for everything below it. ' +
      'For jail-root-unsafe it is the host path of the directory.',
  });

const AllowEntry = z
  .strictObject({
    check: z.enum(CHECK_IDS as [AuditCheck, ...AuditCheck[]], { error: oneOf('audit check', CHECK_IDS) }).meta({
      description: `The check id as the audit reports it: ${CHECK_IDS.join(', ')}.`,
    }),
    path: AllowPath,
    reason: z.string().trim().min(1, { error: 'reason must say why this finding is acceptable; it is printed in every audit report' }).meta({
      description: 'Why this finding is acceptable for this service; printed with the finding in every audit report.',
    }),
  })
  .meta({ title: 'Allowed finding', description: 'A finding the audit keeps reporting (marked allowed, with the reason) but that does not fail it.' });

/** The recipe's `audit:` section: findings the service needs, each with a stated reason. */
export const AuditSchema = z
  .strictObject({
    allow: z
      .array(AllowEntry)
      .meta({ title: 'Allowed findings', description: 'Findings accepted for this jail, matched by check id and path.' })
      .optional(),
  })
  .meta({ title: 'Audit', description: 'How `jailwright audit` judges this jail: findings accepted with a reason.' });

export type AuditSettings = z.infer<typeof AuditSchema>;
export type AuditAllowEntry = z.infer<typeof AllowEntry>;
