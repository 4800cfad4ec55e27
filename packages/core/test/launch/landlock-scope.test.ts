import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatStatus } from '../../src/cli/status-command.js';
import { LANDLOCK_SCOPE_ABI, prepareLandlockScope } from '../../src/launch/landlock-scope.js';

const realCompiler = process.env.CC;

describe('prepareLandlockScope', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'jailwright-landlock-'));
  });
  afterEach(async () => {
    if (realCompiler === undefined) delete process.env.CC;
    else process.env.CC = realCompiler;
    await rm(directory, { recursive: true, force: true });
  });

  it('compiles the step and asks this kernel for its ABI (this machine runs Linux 6.12 or later: in force)', async () => {
    const plan = await prepareLandlockScope(directory);
    expect(plan.status.abi).toBeGreaterThanOrEqual(LANDLOCK_SCOPE_ABI);
    expect(plan.status).toMatchObject({ inForce: true, scopes: ['abstract-unix-socket', 'signal'] });
    expect(plan.helper).toMatch(new RegExp(`^${directory}/landlock-scope-[0-9a-f]{16}$`));
  });

  // An older kernel cannot be booted here: a stand-in "compiler" writes a step that answers as Linux 6.8 would.
  it('on a kernel with an older ABI: not in force, no step for the chain, and a warning that names the gap', async () => {
    const compiler = path.join(directory, 'fake-cc');
    await writeFile(compiler, '#!/bin/sh\nwhile [ "$1" != -o ]; do shift; done\nprintf "#!/bin/sh\\necho abi 4\\n" > "$2"\n');
    await chmod(compiler, 0o755);
    process.env.CC = compiler;
    const plan = await prepareLandlockScope(path.join(directory, 'cache'));
    expect(plan.helper).toBeUndefined();
    expect(plan.status).toMatchObject({ abi: 4, inForce: false, scopes: [] });
    expect(plan.status.problem).toMatch(/the kernel offers Landlock ABI 4; scoping abstract unix sockets and signals needs ABI 6 \(Linux 6\.12 or later\)/);
    const text = formatStatus({ recipe: 'demo', root: '/srv/jails/demo', state: 'running', restarts: 0, log: '/x', landlock: plan.status });
    expect(text).toContain('  WARNING: no Landlock scoping: the kernel offers Landlock ABI 4');
  });

  it('without a C compiler: not in force, with the reason (start still launches, and says so)', async () => {
    process.env.CC = path.join(directory, 'no-such-cc');
    const plan = await prepareLandlockScope(path.join(directory, 'cache'));
    expect(plan.helper).toBeUndefined();
    expect(plan.status.inForce).toBe(false);
    expect(plan.status.problem).toMatch(/no Landlock scoping: the Landlock scope step of the launch is compiled on first use, but there is no C compiler/);
  });
});
