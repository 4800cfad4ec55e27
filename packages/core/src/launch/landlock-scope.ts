/**
 * Landlock scoping for the launch chain (Linux 6.12+, Landlock ABI 6): the service may not connect to abstract
 * unix sockets, nor signal processes, outside its own Landlock domain. Abstract sockets live in the network
 * namespace, not the filesystem, so chroot cannot hide them: without this (or a network namespace of its own)
 * a jailed service reaches every abstract socket on the host, and one that hands out descriptors hands out
 * the host filesystem. Applied by a small C step between setpriv and chroot; where the kernel cannot, `start`
 * says so and records it, it does not pretend.
 */
import type { HelperProgram } from '../native/helper-program.js';

/** The Landlock ABI that brought scopes. */
export const LANDLOCK_SCOPE_ABI = 6;

/** The scopes the launch asks for. */
export const LANDLOCK_SCOPES = ['abstract-unix-socket', 'signal'] as const;

/** Whether the launch confines the service with Landlock scopes, as recorded in the launch spec and state. */
export interface LandlockScopeStatus {
  /** The Landlock ABI the kernel offers (0: none), or null when it could not be asked. */
  abi: number | null;
  /** True when the launch chain applies the scopes (the step fails closed: a running service has them). */
  inForce: boolean;
  scopes: string[];
  /** Why the scopes are not in force, in words. */
  problem?: string | undefined;
}

/** The scope step and what it will do, as `start` prepares it. */
export interface LandlockScopePlan {
  status: LandlockScopeStatus;
  /** The compiled step for the launch chain, when the scopes are in force. */
  helper?: string | undefined;
}

async function landlockProgram(): Promise<HelperProgram> {
  const { LANDLOCK_PROGRAM_SOURCE } = await import('./landlock-program.js');
  return {
    name: 'landlock-scope',
    source: LANDLOCK_PROGRAM_SOURCE,
    purpose: 'the Landlock scope step of the launch',
    withoutCompiler: 'accept the launch without Landlock scoping (start warns)',
  };
}

const WITHOUT_SCOPE =
  'the service can connect to abstract unix sockets of the host (a helper handing out descriptors is a way out of the jail) ' +
  'unless launch.namespaces.net gives it a network namespace of its own';

/** Compiles the scope step on first use and asks the kernel for its Landlock ABI. */
export async function prepareLandlockScope(helperDirectory?: string): Promise<LandlockScopePlan> {
  // Loaded here, not at the top: status and audit read this module's types and words without the compiler machinery.
  const [{ execa }, { ensureHelperProgram }] = await Promise.all([import('execa'), import('../native/helper-program.js')]);
  let helper: string;
  try {
    helper = await ensureHelperProgram(await landlockProgram(), helperDirectory);
  } catch (error) {
    // A missing or failing compiler weakens the launch (said loudly); an unsafe helper cache stops it.
    if ((error as Error).cause === undefined) throw error;
    return { status: { abi: null, inForce: false, scopes: [], problem: `no Landlock scoping: ${(error as Error).message}; ${WITHOUT_SCOPE}` } };
  }
  const answer = await execa(helper, ['--abi'], { reject: false, stdin: 'ignore' });
  const match = /^abi (\d+)(?: (.*))?$/.exec(answer.stdout.trim());
  if (!match) return { status: { abi: null, inForce: false, scopes: [], problem: `no Landlock scoping: ${helper} --abi answered ${JSON.stringify(answer.stdout || answer.stderr)}; ${WITHOUT_SCOPE}` } };
  const abi = Number(match[1]);
  if (abi < LANDLOCK_SCOPE_ABI) {
    const why = abi === 0 ? (match[2] ?? 'no Landlock') : `the kernel offers Landlock ABI ${abi}`;
    return {
      status: {
        abi,
        inForce: false,
        scopes: [],
        problem: `no Landlock scoping: ${why}; scoping abstract unix sockets and signals needs ABI ${LANDLOCK_SCOPE_ABI} (Linux 6.12 or later): ${WITHOUT_SCOPE}`,
      },
    };
  }
  return { status: { abi, inForce: true, scopes: [...LANDLOCK_SCOPES] }, helper };
}

/** The status in a few words, for `start`, `status` and `audit --running`. */
export function describeLandlockScope(status: LandlockScopeStatus): string {
  return status.inForce ? `Landlock scopes ${status.scopes.join(', ')} in force (kernel ABI ${status.abi})` : (status.problem ?? 'no Landlock scoping');
}
