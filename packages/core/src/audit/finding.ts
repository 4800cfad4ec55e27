import { AUDIT_CHECKS, type AuditAllowEntry, type AuditCheck, type AuditSeverity } from '../recipe/audit-schema.js';

export type { AuditAllowEntry, AuditCheck, AuditSeverity };

/** Severities from worst to mildest. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const satisfies readonly AuditSeverity[];

/** One weakness of a jail. */
export interface Finding {
  /** Stable id of the check, e.g. `setuid-file` (see AUDIT_CHECKS). */
  check: AuditCheck;
  severity: AuditSeverity;
  /** The path inside the jail (`/usr/bin/ping`); for `jail-root-unsafe`, the host path of the directory. */
  path: string;
  /** Why it matters. */
  why: string;
  /** What to do about it. */
  fix: string;
  /** Present when the recipe accepts this finding: it is reported but does not fail the audit. */
  allowed?: { reason: string };
}

/** A check the audit could not run, and why; the report is incomplete for it. */
export interface UncheckedNote {
  /** The check left out, or "*" for every check below `path`. */
  check: AuditCheck | '*';
  path?: string;
  reason: string;
}

/** Counts of findings per severity (allowed ones excluded), and of allowed ones. */
export type AuditSummary = Record<AuditSeverity, number> & { allowed: number; total: number };

/** Version of the JSON report format; raised only when a field changes meaning or disappears. */
export const AUDIT_REPORT_SCHEMA_VERSION = 1;

/** The result of a static audit of one jail tree. */
export interface AuditReport {
  schemaVersion: typeof AUDIT_REPORT_SCHEMA_VERSION;
  /** The jail root as given, made absolute. */
  root: string;
  /** The real directory audited (the current generation when the root is a jailwright symlink). */
  directory: string;
  /** The manifest used for the host-source checks, or null when there is none. */
  manifest: string | null;
  /** Findings sorted by severity (critical first), then path, then check. */
  findings: Finding[];
  unchecked: UncheckedNote[];
  summary: AuditSummary;
}

/** Makes a finding of `check` with the severity the check carries. */
export function finding(check: AuditCheck, path: string, why: string, fix: string): Finding {
  return { check, severity: AUDIT_CHECKS[check], path, why, fix };
}

/** True when an allow entry's path covers `path`: equal, or `dir/**` and `path` lies below `dir`. */
export function allowPathMatches(pattern: string, path: string): boolean {
  if (pattern.endsWith('/**')) {
    const directory = pattern.slice(0, -3);
    return path.startsWith(`${directory}/`) && path.length > directory.length + 1;
  }
  return pattern === path;
}

/** Marks the findings an allow list accepts (the first matching entry's reason is kept). */
export function applyAllowList(findings: Finding[], allow: readonly AuditAllowEntry[]): Finding[] {
  return findings.map((item) => {
    const entry = allow.find((candidate) => candidate.check === item.check && allowPathMatches(candidate.path, item.path));
    return entry ? { ...item, allowed: { reason: entry.reason } } : item;
  });
}

/** Orders findings worst first, then by path and check, so reports compare with diff. */
export function sortFindings(findings: Finding[]): Finding[] {
  const rank = (severity: AuditSeverity) => SEVERITIES.indexOf(severity);
  return [...findings].sort(
    (a, b) => rank(a.severity) - rank(b.severity) || compareText(a.path, b.path) || compareText(a.check, b.check) || compareText(a.why, b.why),
  );
}

/** Counts findings per severity; allowed findings count only as allowed. */
export function summarize(findings: readonly Finding[]): AuditSummary {
  const summary: AuditSummary = { critical: 0, high: 0, medium: 0, low: 0, allowed: 0, total: findings.length };
  for (const item of findings) {
    if (item.allowed) summary.allowed += 1;
    else summary[item.severity] += 1;
  }
  return summary;
}

/** Whether `severity` is at least as severe as `threshold` (what `--fail-on threshold` fails on). */
export function reachesSeverity(severity: AuditSeverity, threshold: AuditSeverity): boolean {
  return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(threshold);
}

/** The findings that fail an audit run with `--fail-on threshold`: not allowed, and at least that severe. */
export function failingFindings(findings: readonly Finding[], threshold: AuditSeverity): Finding[] {
  return findings.filter((item) => !item.allowed && reachesSeverity(item.severity, threshold));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A path as a shell word, for the commands in `fix`: quoted only when it needs to be. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_.,:@%+=\/-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}
