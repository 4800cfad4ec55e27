import type { Operation, Plan } from '../plan/types.js';

/** The plan as a person reads it: one line per operation, in the order they run. */
export function formatPlan(plan: Plan, root: string): string {
  const lines = [`Plan for ${plan.recipe} in ${root}: ${plan.operations.length} operations`];
  for (const account of plan.accountsToCreate) {
    lines.push(`  account  create host system account ${account.name} (group ${account.group ?? account.name}, no login shell)`);
  }
  for (const operation of plan.operations) lines.push(`  ${formatOperation(operation)}`);
  for (const note of plan.notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}

function formatOperation(operation: Operation): string {
  switch (operation.kind) {
    case 'directory':
      return `mkdir    ${mode(operation.mode)} ${owner(operation)} ${operation.path}`;
    case 'copy':
      return `${operation.link === 'hard' ? 'link   ' : 'copy   '}  ${mode(operation.mode)} ${owner(operation)} ${operation.path}${
        operation.source.path === operation.path ? '' : ` <- ${operation.source.path}`
      }${operation.strippedBits ? ' (setuid/setgid stripped)' : ''}  [${operation.reason}]`;
    case 'symlink':
      return `symlink  ${' '.repeat(4)} ${' '.repeat(9)} ${operation.path} -> ${operation.target}`;
    case 'device':
      return `mknod    ${mode(operation.mode)} ${owner(operation)} ${operation.path} ${operation.device === 'char' ? 'c' : 'b'} ${operation.major},${operation.minor}`;
    case 'write':
      return `write    ${mode(operation.mode)} ${owner(operation)} ${operation.path}  [${operation.reason}]`;
  }
}

function mode(value: number): string {
  return value.toString(8).padStart(4, '0');
}

function owner(operation: { uid: number; gid: number }): string {
  return `${operation.uid}:${operation.gid}`.padEnd(9);
}
