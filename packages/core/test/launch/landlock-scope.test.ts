import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
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

  it('the step confines what it execs: no connect to an abstract socket made outside, no signal to and no ptrace access of a process outside', async () => {
    const { helper } = await prepareLandlockScope(directory);
    const name = `jailwright-landlock-test-${process.pid}`;
    const server = createServer((socket) => socket.end('hello\n'));
    await new Promise<void>((resolve) => server.listen(`\0${name}`, resolve));
    const outsider = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const client = `require('net').connect('\\0${name}').on('data', (d) => { process.stdout.write(d); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(1); })`;
      const unscoped = await execa(process.execPath, ['-e', client], { reject: false });
      expect([unscoped.exitCode, unscoped.stdout]).toEqual([0, 'hello']);
      const scoped = await execa(helper as string, ['--scope', 'abstract-unix-socket', '--', process.execPath, '-e', client], { reject: false });
      expect([scoped.exitCode, scoped.stdout]).toEqual([1, 'EPERM']);

      const signal = ['-e', `try { process.kill(${outsider.pid}, 0); console.log('ok'); } catch (e) { console.log(e.code); }`];
      expect((await execa(process.execPath, signal)).stdout).toBe('ok');
      expect((await execa(helper as string, ['--scope', 'signal', '--', process.execPath, ...signal])).stdout).toBe('EPERM');
      // Any Landlock domain also denies ptrace access to processes outside it, and with it their /proc/<pid>/root.
      const peek = ['-e', `try { console.log(require('fs').readlinkSync('/proc/${outsider.pid}/root')); } catch (e) { console.log(e.code); }`];
      expect((await execa(process.execPath, peek)).stdout).toBe('/');
      expect((await execa(helper as string, ['--scope', 'signal', '--', process.execPath, ...peek])).stdout).toBe('EACCES');
      // Processes the step itself started share its domain: signalling them still works.
      const own = ['-e', `const c = require('child_process').spawn('sleep', ['60']); try { process.kill(c.pid, 'SIGKILL'); console.log('ok'); } catch (e) { console.log(e.code); }`];
      expect((await execa(helper as string, ['--scope', 'signal', '--', process.execPath, ...own])).stdout).toBe('ok');
    } finally {
      outsider.kill('SIGKILL');
      server.close();
    }
  });

  it('refuses an unknown scope and a program that is not an absolute path (usage, exit 2)', async () => {
    const { helper } = await prepareLandlockScope(directory);
    expect((await execa(helper as string, ['--scope', 'everything', '--', '/bin/true'], { reject: false })).exitCode).toBe(2);
    expect((await execa(helper as string, ['--scope', 'signal', '--', 'true'], { reject: false })).exitCode).toBe(2);
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
