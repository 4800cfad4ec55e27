import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BoaVersion } from '../../src/index.js';

const execFileAsync = promisify(execFile);

/** The Boa release a tarball or tree holds, from SERVER_VERSION in its src/defines.h; refused unless the recipe builds it. */
export async function boaVersionOf(source: string): Promise<Exclude<BoaVersion, '0.94.8.3-chroot'>> {
  const defines = (await stat(source)).isDirectory()
    ? await readFile(path.join(source, 'src/defines.h'), 'utf8')
    : (await execFileAsync('tar', ['-xOf', source, '--wildcards', '*/src/defines.h'], { maxBuffer: 16 * 1024 * 1024 })).stdout;
  const version = /SERVER_VERSION\s+"Boa\/([^"]+)"/.exec(defines)?.[1];
  if (version !== '0.94.13' && version !== '0.94.14rc21') throw new Error(`${source}: Boa ${version ?? '(no SERVER_VERSION in src/defines.h)'} is not a release this recipe builds (0.94.13, 0.94.14rc21)`);
  return version;
}
