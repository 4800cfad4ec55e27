import { SEVERITIES, type AuditReport, type AuditSeverity, type Finding } from './finding.js';

/** What the CLI adds to a report: the threshold and whether the run failed it. */
export interface AuditVerdict {
  /** The recipe whose `audit.allow` was applied, or null. */
  recipe: string | null;
  failOn: AuditSeverity;
  /** Non-allowed findings at or above `failOn`. */
  failing: number;
  passed: boolean;
}

/**
 * The JSON report (schemaVersion 1). Fields: schemaVersion, root, directory, manifest (path or
 * null), recipe (whose allow list applied, or null), failOn, passed, failing, summary {critical, high, medium, low, allowed, total}, findings
 * [{check, severity, path, why, fix, allowed?: {reason}}] sorted by severity, path, check, and
 * unchecked [{check, path?, reason}]. No timestamps: the same jail gives the same bytes.
 */
export function formatAuditJson(report: AuditReport, verdict: AuditVerdict): string {
  const { schemaVersion, root, directory, manifest, summary, findings, unchecked } = report;
  const ordered = findings.map(({ check, severity, path, why, fix, allowed }) => ({ check, severity, path, why, fix, ...(allowed ? { allowed } : {}) }));
  return `${JSON.stringify(
    { schemaVersion, root, directory, manifest, recipe: verdict.recipe, failOn: verdict.failOn, passed: verdict.passed, failing: verdict.failing, summary, findings: ordered, unchecked },
    null,
    2,
  )}\n`;
}

/** The report for a person: findings grouped by severity, each with path, why and fix, then a summary line. */
export function formatAuditText(report: AuditReport, verdict: AuditVerdict): string {
  const lines = [`audit of ${report.root}${report.directory === report.root ? '' : ` (${report.directory})`}`];
  if (verdict.recipe) lines.push(`allow list from ${verdict.recipe}`);
  for (const severity of SEVERITIES) {
    const group = report.findings.filter((item) => item.severity === severity);
    if (group.length === 0) continue;
    lines.push('', `${severity.toUpperCase()} (${group.length})`);
    for (const item of group) lines.push(...formatFinding(item));
  }
  if (report.unchecked.length > 0) {
    lines.push('', 'NOT CHECKED');
    for (const note of report.unchecked) lines.push(`  ${note.check}${note.path ? ` ${note.path}` : ''}: ${note.reason}`);
  }
  const { summary } = report;
  const counts = SEVERITIES.map((severity) => `${summary[severity]} ${severity}`).join(', ');
  const outcome = verdict.passed ? `passed (--fail-on ${verdict.failOn})` : `FAILED: ${verdict.failing} finding${verdict.failing === 1 ? '' : 's'} at ${verdict.failOn} or above`;
  lines.push('', `${counts}, ${summary.allowed} allowed — ${outcome}`);
  return `${lines.join('\n')}\n`;
}

function formatFinding(item: Finding): string[] {
  const lines = [`  ${item.path}  [${item.check}]${item.allowed ? '  (allowed)' : ''}`, `    why: ${item.why}`, `    fix: ${item.fix}`];
  if (item.allowed) lines.push(`    allowed by the recipe: ${item.allowed.reason}`);
  return lines;
}
