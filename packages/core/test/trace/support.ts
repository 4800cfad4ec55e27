import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { jailwright, run } from '../support/root.js';

/** True when gcc is installed (the C test programs are compiled in the test). */
export const haveGcc = (await run('gcc', ['--version'])).code === 0;

/** Compiles C source into `output` with extra gcc arguments; throws with gcc's message on failure. */
export async function compile(directory: string, name: string, source: string, output: string, args: string[] = []): Promise<string> {
  await mkdir(directory, { recursive: true });
  const file = path.join(directory, `${name}.c`);
  await writeFile(file, source);
  const result = await run('gcc', ['-O1', '-o', output, file, ...args]);
  if (result.code !== 0) throw new Error(`gcc failed for ${name}:\n${result.stderr}`);
  return output;
}

/** A learning fixture (test/fixtures/learn/NAME.yaml) with its @KEY@ placeholders filled in. */
export async function learnFixture(name: string, values: Record<string, string | number>): Promise<string> {
  const text = await readFile(fileURLToPath(new URL(`../fixtures/learn/${name}.yaml`, import.meta.url)), 'utf8');
  return text.replace(/@([A-Z]+)@/g, (whole, key: string) => String(values[key] ?? whole));
}

/** A copy of Debian's /etc/apache2 at `directory`, listening on 127.0.0.1:`port` only (ports.conf and the default site). */
export async function debianApacheConfig(directory: string, port: number): Promise<void> {
  await cp('/etc/apache2', directory, { recursive: true, verbatimSymlinks: true });
  await writeFile(path.join(directory, 'ports.conf'), `Listen 127.0.0.1:${port}\n`);
  const site = path.join(directory, 'sites-available/000-default.conf');
  await writeFile(site, (await readFile(site, 'utf8')).replace('<VirtualHost *:80>', `<VirtualHost 127.0.0.1:${port}>`));
}

/**
 * `jailwright learn --write` on a real daemon's recipe: logs its summary with the wall time, and checks it
 * ended cleanly within `maxRuns`, printing every run. Returns its output and the first run's section.
 */
export async function learnConverged(label: string, recipe: string, root: string, maxRuns = 4): Promise<{ stdout: string; firstRun: string }> {
  const started = Date.now();
  const learned = await jailwright('learn', recipe, '--root', root, '--write');
  const seconds = (Date.now() - started) / 1000;
  console.info(`learn on ${label}: ${learned.stdout.match(/learned in .*/)?.[0] ?? learned.stdout} (wall ${seconds.toFixed(1)} s)`);
  expect(learned.stderr).toBe('');
  expect(learned.code).toBe(0);
  const runs = Number(/learned in (\d+) runs?/.exec(learned.stdout)?.[1]);
  expect(runs).toBeLessThanOrEqual(maxRuns);
  for (let number = 1; number <= runs; number++) expect(learned.stdout).toMatch(new RegExp(`^run ${number}: `, 'm'));
  return { stdout: learned.stdout, firstRun: learned.stdout.slice(learned.stdout.indexOf('run 1:'), learned.stdout.indexOf('run 2:')) };
}
