import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A vitest globalSetup (`recipeTestConfig` names it): every build records its jail in the host's registry
 * (/var/lib/jailwright/jails) and what it learned about host files in the build cache
 * (/var/cache/jailwright/build), but tests build throwaway jails, so they keep both in a directory of
 * their own, removed when the run ends.
 */
export default function setup(): () => void {
  const scratch = mkdtempSync(path.join(tmpdir(), 'jailwright-test-registry-'));
  process.env.JAILWRIGHT_REGISTRY = path.join(scratch, 'jails');
  process.env.JAILWRIGHT_BUILD_CACHE = path.join(scratch, 'build-cache');
  return () => rmSync(scratch, { recursive: true, force: true });
}
