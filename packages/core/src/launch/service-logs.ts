import { readFile, stat } from 'node:fs/promises';
import { syslogPlan } from '../syslog/syslog.js';
import { jailLayout } from '../apply/jail-layout.js';
import { resolveTarget, type ServiceTarget } from './service-control.js';

/** One log of a jailed service and where it is. */
export interface ServiceLog {
  what: string;
  path: string;
  exists: boolean;
  lastLines: string[];
}

/** Where a jail's logs are, and their last lines. */
export interface ServiceLogs {
  recipe: string;
  root: string;
  logs: ServiceLog[];
  /** How the jail's syslog messages leave it (from the recipe's syslog method). */
  syslog: string;
}

/** `logs`: the service's own output, the supervisor's log, and where its syslog messages go. */
export async function serviceLogs(target: ServiceTarget, lines = 20): Promise<ServiceLogs> {
  const resolved = await resolveTarget(target);
  const { loaded, root, files } = resolved;
  const entries: Array<[string, string]> = [
    ['service stdout and stderr', files.serviceLog],
    ['supervisor', files.supervisorLog],
  ];
  const logs = await Promise.all(
    entries.map(async ([what, path]) => {
      const exists = await stat(path).then(
        () => true,
        () => false,
      );
      const text = exists ? await readFile(path, 'utf8') : '';
      return { what, path, exists, lastLines: lines > 0 ? text.trimEnd().split('\n').filter(Boolean).slice(-lines) : [] };
    }),
  );
  const plan = syslogPlan(loaded.recipe.syslog, { jailRoot: root, jailName: loaded.recipe.name, stateDir: jailLayout(root).state });
  return { recipe: loaded.recipe.name, root, logs, syslog: plan.summary };
}
