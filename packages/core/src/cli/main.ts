#!/usr/bin/env node
import { Command } from 'commander';
import { ENGINE_VERSION } from '../version.js';
import { registerAuditCommand } from './audit-command.js';
import { registerBuildCommand } from './build-command.js';
import { registerCheckCommand } from './check-command.js';
import { registerCompileCommand } from './compile-command.js';
import { registerLearnCommand } from './learn-command.js';
import { registerLogsCommand } from './logs-command.js';
import { registerRestartCommand } from './restart-command.js';
import { runCommand } from './run-command.js';
import { registerStartCommand } from './start-command.js';
import { registerStatusCommand } from './status-command.js';
import { registerStopCommand } from './stop-command.js';
import { registerSymbolsCommand } from './symbols-command.js';
import { registerTraceCommand } from './trace-command.js';

const program = new Command()
  .name('jailwright')
  .description(
    'Build chroot jails for Internet services from recipes, derived from this host: ' +
      'libraries found by reading ELF files (never by running them), device numbers from the host, ' +
      'passwd/group with only the accounts the service needs, built beside the old jail and swapped in atomically.',
  )
  .version(ENGINE_VERSION)
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText(
    'after',
    `
Exit codes: 0 ok, 1 findings or a failed check, 2 usage or bad input, 3 environment (not root, busy).

Example:
  jailwright build ./recipe.yaml --root /srv/jails/demo --dry-run   # what would be built
  sudo jailwright build ./recipe.yaml --root /srv/jails/demo        # build it
  sudo chroot /srv/jails/demo /usr/bin/id nobody                    # use it`,
  );

registerBuildCommand(program);
registerAuditCommand(program);
registerStartCommand(program);
registerStopCommand(program);
registerRestartCommand(program);
registerStatusCommand(program);
registerCheckCommand(program);
registerLogsCommand(program);
registerTraceCommand(program);
registerLearnCommand(program);
registerSymbolsCommand(program);
registerCompileCommand(program);

await runCommand(program, process.argv);
