import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, JailwrightError } from './errors.js';

/**
 * A file of this package (`dist/launch/supervisor.js`, `templates/recipe`), found by walking up from wherever
 * this code was bundled (dist/, a chunk in dist/, or src/ under the tests) to the directory holding package.json.
 */
export function corePackageFile(relative: string): string {
  let directory = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(directory, 'package.json')) && existsSync(path.join(directory, relative))) return path.join(directory, relative);
    const parent = path.dirname(directory);
    if (parent === directory) throw new JailwrightError(`cannot find ${relative} of @jailwright/core`, { exitCode: ExitCode.environment, hint: 'Build the package: npx turbo run build' });
    directory = parent;
  }
}
