#!/usr/bin/env node
// Makes `npm test` work on a fresh machine: installs the Debian packages the tests use when running
// as root, or says which are missing (their tests then skip, saying why) when not.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const wanted = readFileSync(new URL('./debian-packages.txt', import.meta.url), 'utf8')
  .split('\n')
  .map((line) => line.replace(/#.*/, '').trim())
  .filter(Boolean);

const installed = (name) => {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes('install ok installed');
  } catch {
    return false;
  }
};

const missing = wanted.filter((name) => !installed(name));
if (missing.length === 0) process.exit(0);
if (process.getuid?.() !== 0) {
  console.warn(`test prerequisites: missing Debian packages ${missing.join(' ')}; as root run: apt-get install -y ${missing.join(' ')}`);
  process.exit(0);
}
console.log(`test prerequisites: installing ${missing.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
