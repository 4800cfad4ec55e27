#!/usr/bin/env node
// Downloads the upstream tarball of a Debian source package (`apt-get source --download-only`) for the
// from-source tests, and prints its path. The deb-src line lives in a private sources file handed to apt
// with -o options, so the machine's own apt configuration is neither read nor changed; apt's list files
// for it land in /var/lib/apt/lists like any other. Needs root (apt writes its lists) and the Debian
// archive. Usage: node scripts/debian-source.mjs apache2 bind9
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where downloaded source packages are kept between runs. */
export const DEBIAN_SOURCE_DIR = process.env.JAILWRIGHT_DEBIAN_SOURCE_DIR || '/var/cache/jailwright/debian-source';

/** The archive the sources come from: the release CI runs on. */
const SOURCES_LINE = 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main\n';

/** Runs apt-get, waiting (up to 5 minutes) while another apt holds its lock. */
function aptGet(args, cwd) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      execFileSync('apt-get', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      return;
    } catch (error) {
      const stderr = String(error.stderr ?? '');
      if (!/Could not get lock|Unable to lock/.test(stderr) || attempt === 150) throw new Error(`apt-get ${args.join(' ')} failed:\n${stderr}`);
      execFileSync('sleep', ['2']);
    }
  }
}

/**
 * Downloads (or finds, when already there) the source packages and returns, for each, the path of its
 * upstream tarball (<package>_<version>.orig.tar.*).
 */
export function debianSourceTarballs(packages) {
  mkdirSync(DEBIAN_SOURCE_DIR, { recursive: true });
  const scratch = mkdtempSync(path.join(tmpdir(), 'jailwright-deb-src-'));
  const list = path.join(scratch, 'deb-src.list');
  writeFileSync(list, SOURCES_LINE);
  const apt = ['-q', '-o', `Dir::Etc::sourcelist=${list}`, '-o', 'Dir::Etc::sourceparts=-', '-o', 'APT::Get::List-Cleanup=0', '-o', 'APT::Sandbox::User=root'];
  try {
    aptGet([...apt, 'update'], '/');
    aptGet([...apt, 'source', '--download-only', ...packages], DEBIAN_SOURCE_DIR);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const files = readdirSync(DEBIAN_SOURCE_DIR);
  return Object.fromEntries(
    packages.map((name) => {
      const tarballs = files.filter((file) => file.startsWith(`${name}_`) && /\.orig\.tar\.(gz|xz|bz2)$/.test(file)).sort();
      if (tarballs.length === 0) throw new Error(`apt-get source ${name} left no ${name}_*.orig.tar.* in ${DEBIAN_SOURCE_DIR}`);
      return [name, path.join(DEBIAN_SOURCE_DIR, tarballs.at(-1))];
    }),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, tarball] of Object.entries(debianSourceTarballs(process.argv.slice(2)))) console.log(`${name}\t${tarball}`);
}
