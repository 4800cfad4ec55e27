import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { commandRunner, makeJailParent, processTree, runCommand as run } from '@jailwright/core/testing';

/** The package's own command, as a user who installed only @jailwright/apache runs it. */
const jailwrightApache = commandRunner(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));
const isRoot = process.getuid?.() === 0;
const haveApache = existsSync('/usr/sbin/apache2');
const haveUmoci = existsSync('/usr/bin/umoci');
if (!isRoot || !haveApache) console.warn('skipping the Apache export tests: they need root and apache2 (see apache.test.ts)');
else if (!haveUmoci) console.warn('skipping the Apache export tests: umoci is not installed (apt-get install -y umoci; .ci/run does)');

/** sha256 of every file below a directory, by relative path: two layouts are identical when these are. */
async function digests(directory: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    result[path.relative(directory, file)] = createHash('sha256').update(await readFile(file)).digest('hex');
  }
  return result;
}

/** A blob of an OCI layout, parsed. */
function blob<T>(layout: string, digest: string): T {
  return JSON.parse(readFileSync(path.join(layout, 'blobs/sha256', digest.replace('sha256:', '')), 'utf8')) as T;
}

/** The service PID a jail's launch state names, while it runs. */
function servicePid(stateDirectory: string): number {
  const state = JSON.parse(readFileSync(path.join(stateDirectory, 'launch/state.json'), 'utf8')) as { service?: { pid: number } };
  return state.service?.pid as number;
}

/** Asks for the page the log probe looks for, then runs every probe of the recipe. */
async function pageThenCheck(...rootOptions: string[]) {
  const response = await fetch('http://127.0.0.1:8080/');
  expect(response.status).toBe(200);
  expect(await response.text()).toBe('<h1>Hello from a jailed Apache</h1>\n');
  const check = await jailwrightApache('check', ...rootOptions);
  expect(check.stdout).toContain('all probes passed');
  expect(check.code).toBe(0);
}

describe.skipIf(!isRoot || !haveApache || !haveUmoci)('jailwright-apache export', () => {
  let parent: string;
  let root: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ parent, cleanup } = await makeJailParent('jailwright-apache-export-'));
    root = path.join(parent, 'apache');
    const built = await jailwrightApache('build', '--root', root);
    expect(built.code, built.stderr).toBe(0);
  });
  afterAll(async () => {
    await jailwrightApache('stop', '--root', path.join(parent, 'bundle/rootfs'));
    await jailwrightApache('stop', '--root', root);
    await cleanup();
  });

  it('oci: byte-identical exports; umoci unpacks it; the engine starts Apache in the rootfs and its probes pass', async () => {
    const layouts = [path.join(parent, 'oci-1'), path.join(parent, 'oci-2')];
    for (const layout of layouts) {
      const exported = await jailwrightApache('export', '--root', root, '--format', 'oci', '--out', layout);
      expect(exported.stderr).toBe('');
      expect(exported.code).toBe(0);
    }
    const [first, second] = await Promise.all(layouts.map(digests));
    expect(Object.keys(first ?? {}).sort()).toHaveLength(5); // oci-layout, index.json and three blobs: layer, config, manifest
    expect(second).toEqual(first);
    for (const name of ['image-1.tar', 'image-2.tar']) expect((await jailwrightApache('export', '--root', root, '--format', 'oci', '--out', path.join(parent, name))).code).toBe(0);
    const [tarOne, tarTwo] = await Promise.all(['image-1.tar', 'image-2.tar'].map(async (name) => createHash('sha256').update(await readFile(path.join(parent, name))).digest('hex')));
    expect(tarTwo).toBe(tarOne);

    const layout = layouts[0] as string;
    const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations: Record<string, string> }[] };
    expect(index.manifests[0]?.annotations['org.opencontainers.image.ref.name']).toBe('latest');
    const manifest = blob<{ config: { digest: string }; layers: { mediaType: string }[] }>(layout, index.manifests[0]?.digest as string);
    expect(manifest.layers.map((layer) => layer.mediaType)).toEqual(['application/vnd.oci.image.layer.v1.tar+gzip']);
    const config = blob<{ config: { User: string; Entrypoint: string[]; Cmd: string[]; ExposedPorts: object; Labels: Record<string, string> } }>(layout, manifest.config.digest);
    expect(config.config.User).toBe('33:33');
    expect(config.config.Entrypoint).toEqual(['/usr/sbin/apache2']);
    expect(config.config.Cmd).toEqual(['-f', '/etc/apache2/apache2.conf', '-DFOREGROUND']);
    expect(config.config.ExposedPorts).toEqual({ '8080/tcp': {} });
    expect(config.config.Labels['io.jailwright.recipe']).toBe('apache');
    expect(config.config.Labels['io.jailwright.recipe.package']).toBe('@jailwright/apache');
    expect(config.config.Labels['io.jailwright.engine.version']).toMatch(/^\d+\.\d+\.\d+/);

    const bundle = path.join(parent, 'bundle');
    const unpacked = await run('umoci', ['unpack', '--image', `${layout}:latest`, bundle]);
    expect(unpacked.code, unpacked.stderr).toBe(0);
    const rootfs = path.join(bundle, 'rootfs');
    const refused = await jailwrightApache('start', '--root', rootfs);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('--plain-root');
    const started = await jailwrightApache('start', '--root', rootfs, '--plain-root');
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    const pid = servicePid(path.join(bundle, '.rootfs.jailwright'));
    await pageThenCheck('--root', rootfs);
    expect(readFileSync(path.join(rootfs, 'var/log/apache2/access.log'), 'utf8')).toMatch(/"GET \/ HTTP\/1\.1" 200/);
    expect((await jailwrightApache('stop', '--root', rootfs)).code).toBe(0);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  });

  it("sysv: the article's Listing 4 is sh -n clean and starts, reports and stops the jailed Apache (LSB status codes)", async () => {
    const script = path.join(parent, 'jailwright-apache.init');
    const exported = await jailwrightApache('export', '--root', root, '--format', 'sysv', '--out', script);
    expect(exported.code, exported.stderr).toBe(0);
    expect((await run('sh', ['-n', script])).code).toBe(0);
    expect(readFileSync(script, 'utf8')).toMatch(/^#!\/bin\/sh\n### BEGIN INIT INFO\n# Provides: +jailwright-apache\n/);

    expect((await run(script, ['status'])).code).toBe(3);
    const started = await run(script, ['start']);
    expect(started.code, started.stderr).toBe(0);
    await pageThenCheck('--root', root);
    const status = await run(script, ['status']);
    expect(status.stdout).toContain(': running');
    expect(status.code).toBe(0);
    const pid = servicePid(path.join(parent, '.apache.jailwright'));
    const tree = await processTree(pid);
    expect(tree.length).toBeGreaterThan(1); // Apache's workers

    expect((await run(script, ['stop'])).code).toBe(0);
    for (const gone of tree) expect(existsSync(`/proc/${gone}`)).toBe(false);
    const stopped = await run(script, ['status']);
    expect(stopped.stdout).toContain(': stopped');
    expect(stopped.code).toBe(3);
    expect((await run(script, ['reload'])).code).toBe(2);
  });
});
