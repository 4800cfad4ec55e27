import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecipe } from '../../src/recipe/load.js';
import { explainSkipUnlessRoot, isRoot, jailwright } from '../support/root.js';

explainSkipUnlessRoot('tracing Apache');
const haveApache = existsSync('/usr/sbin/apache2') && existsSync('/etc/apache2/mods-enabled');
if (isRoot && !haveApache) console.warn('skipping the Apache trace: apache2 is not installed (apt-get install -y apache2; .ci/run does)');

describe.skipIf(!isRoot || !haveApache)("trace of Debian's apache2 with a private config on a loopback high port", () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'jailwright-trace-apache-'));
    await writeFile(
      path.join(directory, 'httpd.conf'),
      [
        'ServerRoot /etc/apache2',
        'ServerName localhost',
        'Listen 127.0.0.1:18391',
        `PidFile ${directory}/apache2.pid`,
        'Include /etc/apache2/mods-enabled/*.load',
        'Include /etc/apache2/mods-enabled/*.conf',
        'TypesConfig /etc/mime.types',
        'User www-data',
        'Group www-data',
        'ErrorLog /var/log/apache2/jailwright-trace-test.log',
        'DocumentRoot /var/www/html',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
    await rm('/var/log/apache2/jailwright-trace-test.log', { force: true });
  });

  it('lists its modules, NSS modules, account files, mime.types and log directory, stops it by PID, and writes a recipe', async () => {
    const out = path.join(directory, 'traced.yaml');
    const started = Date.now();
    const result = await jailwright('trace', '--probe', 'http:18391/', '--json', '--out', out, '--', '/usr/sbin/apache2', '-f', path.join(directory, 'httpd.conf'), '-DFOREGROUND');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      stoppedBy: string;
      libraries: { path: string; via: string; soname?: string }[];
      files: string[];
      directoriesWritten: string[];
      accountLookups: string[];
      listening: { host: string; port: number }[];
      skipped: { path: string }[];
    };
    expect(report.stoppedBy).toBe('probes');
    const dlopened = report.libraries.filter((library) => library.via === 'dlopen').map((library) => library.path);
    expect(dlopened).toContain('/usr/lib/apache2/modules/mod_mpm_event.so');
    expect(dlopened).toContain('/usr/lib/apache2/modules/mod_mime.so');
    expect(dlopened.some((library) => /\/libnss_[a-z]+\.so\.2$/.test(library))).toBe(true);
    expect(report.libraries.find((library) => library.path.endsWith('/libapr-1.so.0'))?.via).toBe('elf');
    expect(report.files).toEqual(expect.arrayContaining(['/etc/passwd', '/etc/group', '/etc/mime.types', '/etc/apache2/mods-enabled/mime.load']));
    expect(report.accountLookups).toEqual(['group', 'passwd']);
    expect(report.directoriesWritten).toContain('/var/log/apache2');
    expect(report.listening).toContainEqual({ host: '127.0.0.1', port: 18391 });
    expect(report.files.some((file) => file.startsWith('/proc/') || file.startsWith('/sys/') || file === '/etc/shadow')).toBe(false);
    // Stopped by the trace itself, by PID.
    expect(existsSync(path.join(directory, 'apache2.pid'))).toBe(false);
    expect((await fetch('http://127.0.0.1:18391/').catch(() => undefined))?.status).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(20_000);

    const text = await readFile(out, 'utf8');
    expect(text.startsWith('# yaml-language-server: $schema=')).toBe(true);
    const recipe = parseRecipe(text, out);
    expect(recipe.jail?.files).toContain('/usr/lib/apache2/modules/mod_mime.so');
    expect(recipe.jail?.files).not.toContain('/etc/passwd');
    expect(recipe.jail?.directories).toContain('/var/log/apache2');
  });
});
