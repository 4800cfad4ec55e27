#!/usr/bin/env node
// Benchmark: many jails of one recipe with --link hard on one filesystem. Builds one copied jail (the
// disk of "one jail"), then N hard-linked jails of the same Apache recipe, and prints the time and
// `du -s -c ROOT/...` of all N (each inode counted once, host files included) against the one. Also audits one hard-linked jail: the shared inodes must come out
// as allowed (link: hard), not as high findings. See bench/README.md.
//
//   sudo node bench/many-jails.mjs [--jails N] [--parent DIR] [--json]

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { APACHE_BINARY, apacheFiles, recipeYaml } from './apache-workload.mjs';
import { fail, parseBenchArguments } from './bench-arguments.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENGINE = join(REPO, 'packages/core/dist/index.js');
const TARGET_DISK_RATIO = 1.1;
const USAGE = `usage: sudo node bench/many-jails.mjs [--jails N] [--parent DIR] [--json]

  --jails N      how many hard-linked jails (default 100)
  --parent DIR   where the temporary directory goes (default /srv; same filesystem as /usr, root-owned)
  --json         results as JSON on stdout

Exit codes: 0 ran (read the ratio against the target), 1 a build or the audit failed, 2 prerequisites or usage.`;

/** Bytes on disk of everything under `paths`, each inode counted once across all of them (du -s -c). */
function diskBytes(paths) {
  const result = spawnSync('du', ['-s', '-c', '--block-size=1', ...paths], { encoding: 'utf8' });
  if (result.status !== 0) fail(1, `du failed: ${result.stderr}`);
  return Number(result.stdout.trim().split('\n').at(-1).split('\t')[0]);
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

async function main() {
  const options = parseBenchArguments(process.argv.slice(2), { jails: 100 }, USAGE);
  if (process.getuid?.() !== 0) fail(2, 'run as root (jails are chowned)');
  if (!existsSync(APACHE_BINARY)) fail(2, 'apache2 is not installed: apt-get install -y apache2');
  if (!existsSync(ENGINE)) fail(2, 'build @jailwright/core first: npx turbo run build');
  const { buildJail, runAudit } = await import(pathToFileURL(ENGINE).href);

  const temp = mkdtempSync(join(options.parent, 'jailwright-many-'));
  chmodSync(temp, 0o755);
  // A registry of its own: the bench's jails do not show up in (or linger in) the host's jailwright list.
  process.env.JAILWRIGHT_REGISTRY = join(temp, 'registry');
  process.env.JAILWRIGHT_BUILD_CACHE = join(temp, 'build-cache');
  try {
    const recipe = join(temp, 'recipe.yaml');
    writeFileSync(recipe, recipeYaml('apache-many', apacheFiles()));
    const quiet = { audit: false, symbols: false };

    let start = nowMs();
    await buildJail({ recipe, root: join(temp, 'copied'), link: 'copy', ...quiet });
    const copiedMs = nowMs() - start;
    // `du -s ROOT/` follows the root symlink into the jail tree; the state directory adds the manifest.
    const oneJailBytes = diskBytes([`${join(temp, 'copied')}/`]);
    const oneWithStateBytes = diskBytes([join(temp, '.copied.jailwright')]);

    const roots = [];
    const states = [];
    start = nowMs();
    for (let index = 0; index < options.jails; index++) {
      const name = `linked-${String(index).padStart(3, '0')}`;
      const outcome = await buildJail({ recipe, root: join(temp, name), link: 'hard', ...quiet });
      if (!outcome.result?.changed) fail(1, `${name} was not built`);
      roots.push(`${join(temp, name)}/`);
      states.push(join(temp, `.${name}.jailwright`));
    }
    const linkedMs = nowMs() - start;
    const allBytes = diskBytes(roots);
    const firstBytes = diskBytes([roots[0]]);
    const allWithStateBytes = diskBytes(states);

    const audit = await runAudit(join(temp, 'linked-000'), { json: true });
    const shared = audit.report.findings.filter((finding) => finding.check === 'host-inode' || finding.check === 'hard-link');
    const allowed = shared.filter((finding) => finding.allowed).length;
    if (!audit.verdict.passed || allowed !== shared.length || shared.length === 0) {
      fail(1, `the audit of a hard-linked jail did not allow its shared inodes (${allowed}/${shared.length} allowed, passed: ${audit.verdict.passed})`);
    }

    const results = {
      jails: options.jails,
      files: apacheFiles().length,
      oneCopiedJail: { bytes: oneJailBytes, withStateBytes: oneWithStateBytes, buildMs: Math.round(copiedMs) },
      hardLinkedJails: {
        bytes: allBytes,
        firstJailBytes: firstBytes,
        withStateBytes: allWithStateBytes,
        totalBuildMs: Math.round(linkedMs),
        perJailMs: Math.round(linkedMs / options.jails),
      },
      diskRatio: allBytes / oneJailBytes,
      diskRatioWithState: allWithStateBytes / oneWithStateBytes,
      target: TARGET_DISK_RATIO,
      met: allBytes / oneJailBytes <= TARGET_DISK_RATIO,
      audit: { sharedInodeFindings: shared.length, allowed, passed: audit.verdict.passed },
    };
    if (options.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    else {
      const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
      process.stdout.write(
        `one copied Apache jail (${results.files} files and their closure): ${mb(oneJailBytes)}, built in ${Math.round(copiedMs)} ms\n` +
          `${options.jails} jails with --link hard: ${mb(allBytes)} in all (du -s -c, each inode once; the first alone ${mb(firstBytes)}), ` +
          `built in ${(linkedMs / 1000).toFixed(1)} s (${results.hardLinkedJails.perJailMs} ms each, engine in-process, audit and symbol check off)\n` +
          `disk ratio: ${results.diskRatio.toFixed(3)}× one copied jail (target ≤ ${TARGET_DISK_RATIO}×: ${results.met ? 'met' : 'NOT met'})\n` +
          `with each jail's state directory (its manifest, outside the jail): ${mb(allWithStateBytes)} against ${mb(oneWithStateBytes)}, ` +
          `${results.diskRatioWithState.toFixed(3)}×\n` +
          `audit of a hard-linked jail: ${shared.length} shared-inode findings, all allowed (link: hard); passed\n`,
      );
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

await main();
