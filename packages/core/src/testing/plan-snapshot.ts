import { createHash } from 'node:crypto';
import type { Operation, Plan } from '../plan/types.js';

/**
 * Reasons whose operations follow from this host rather than from the recipe: the ELF closure and the
 * libraries found by soname (their paths and versions are the distribution's), and the host's time zone.
 */
const HOST_DERIVED = [/^needed by /, /^the dynamic loader/, /: lib[^ ]*\.so/, /^preset timezone/];

/** The account files hold the host's ids; their content is checked by the build, not by the snapshot. */
const HOST_CONTENT = /^jail\.users and jail\.groups/;

function owner(uid: number): string {
  return uid === 0 ? 'root' : 'service';
}

function line(operation: Operation): string {
  switch (operation.kind) {
    case 'directory':
      return `directory ${operation.mode.toString(8).padStart(4, '0')} ${owner(operation.uid)} ${operation.path}`;
    case 'copy': {
      const setuid = operation.keepSetuid ? ' (setuid kept)' : operation.strippedBits !== 0 ? ' (setuid stripped)' : '';
      return `copy ${owner(operation.uid)} ${operation.path}${setuid}`;
    }
    case 'symlink':
      return `symlink ${operation.path} -> ${operation.target}`;
    case 'device':
      return `device ${operation.device} ${operation.mode.toString(8).padStart(4, '0')} ${operation.path}`;
    case 'write': {
      const content = HOST_CONTENT.test(operation.reason) ? '' : ` sha256:${createHash('sha256').update(operation.content).digest('hex').slice(0, 16)}`;
      return `write ${operation.mode.toString(8).padStart(4, '0')} ${owner(operation.uid)} ${operation.path}${content}`;
    }
  }
}

/**
 * A plan as the text a recipe's snapshot stores: one line per operation the recipe decides (paths, kinds,
 * modes, root or service ownership, the digest of generated files), without what differs from host to host
 * (library closure, sonames' paths, device numbers, ids, time zone, the host's modes of copied files).
 */
export function planSnapshot(plan: Plan): string {
  const lines = plan.operations.filter((operation) => !HOST_DERIVED.some((pattern) => pattern.test(operation.reason))).map(line);
  const libraries = plan.operations.flatMap((operation) => {
    const soname = /^jail\.libraries: (\S+)/.exec(operation.reason)?.[1];
    return soname ? [`library ${soname}`] : [];
  });
  return `${[...new Set([...lines, ...libraries])].join('\n')}\n`;
}
