import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import type { ServiceStatus } from '../launch/service-control.js';
import { describeLandlockScope } from '../launch/landlock-scope.js';

/** One status report in words. */
export function formatStatus(status: ServiceStatus): string {
  const lines = [`${status.recipe} in ${status.root}: ${status.state}`];
  if (status.servicePid !== undefined) lines.push(`  service pid ${status.servicePid}, up ${status.uptimeSeconds ?? '?'} s`);
  if (status.supervisorPid !== undefined) lines.push(`  supervisor pid ${status.supervisorPid}`);
  for (const companion of status.companions ?? []) lines.push(`  companion ${companion.name} pid ${companion.pid}${companion.running ? '' : ' (gone)'}, outside the jail`);
  lines.push(`  restarts: ${status.restarts}`);
  if (status.lastExit) lines.push(`  last exit: ${status.lastExit.signal ? `signal ${status.lastExit.signal}` : `code ${status.lastExit.code}`} at ${status.lastExit.at}`);
  if (status.problem) lines.push(`  problem: ${status.problem}`);
  if (status.landlock) lines.push(status.landlock.inForce ? `  landlock: ${describeLandlockScope(status.landlock)}` : `  WARNING: ${describeLandlockScope(status.landlock)}`);
  lines.push(`  log: ${status.log}`);
  return `${lines.join('\n')}\n`;
}

/** `jailwright status <recipe>`: running, stopped or crashed, with PIDs, uptime and restarts. */
export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .summary("tell whether a jail's service runs")
    .description('Exit code 0 when the service runs, 1 when it is stopped, starting or crashed.')
    .argument('<recipe>', 'a recipe.yaml path, a recipe package or an installed short name')
    .option('--root <dir>', 'jail root directory (default: /srv/jails/<recipe name>)')
    .option('--json', 'print the status as JSON')
    .action(async (recipe: string, options: { root?: string; json?: boolean }) => {
      const { serviceStatus } = await import('../launch/service-control.js');
      const status = await serviceStatus({ recipe, root: options.root });
      process.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
      process.exitCode = status.state === 'running' ? ExitCode.ok : ExitCode.findings;
    });
}
