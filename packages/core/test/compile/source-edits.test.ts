import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applySourceEdits, editSourceText, formatSourceEdits } from '../../src/compile/source-edits.js';
import { JailwrightError } from '../../src/errors.js';
import { parseRecipe } from '../../src/recipe/load.js';

// The two edits Boa 0.94.13 needs on gcc >= 10, on the lines as the release has them.
const COMPAT_H = '#define TIMEZONE_OFFSET(foo) foo##->tm_gmtoff\n#define TIMEZONE(foo) foo##->tm_zone\n';
const PASTE = { file: 'src/compat.h', find: 'foo##->', replace: 'foo->', reason: 'gcc >= 10 refuses to paste "foo" and "->"' };
const TIME_H = { file: 'smtpd.c', find: '#include <stdio.h>\n', replace: '#include <stdio.h>\n#include <time.h>\n', reason: 'ctime() without a prototype truncates its pointer on 64-bit' };

let tree: string;
beforeEach(async () => {
  tree = await mkdtemp(path.join(tmpdir(), 'jailwright-edits-'));
  await mkdir(path.join(tree, 'src'));
  await writeFile(path.join(tree, 'src/compat.h'), COMPAT_H, { mode: 0o640 });
  await writeFile(path.join(tree, 'smtpd.c'), '#include <stdio.h>\nint main(void) { return 0; }\n');
});
afterEach(async () => {
  await rm(tree, { recursive: true, force: true });
});

describe('source edits', () => {
  it('replaces every occurrence, keeps the file mode, and reports each edit', async () => {
    const applied = await applySourceEdits(tree, [PASTE, TIME_H]);
    expect(await readFile(path.join(tree, 'src/compat.h'), 'utf8')).toBe('#define TIMEZONE_OFFSET(foo) foo->tm_gmtoff\n#define TIMEZONE(foo) foo->tm_zone\n');
    expect(await readFile(path.join(tree, 'smtpd.c'), 'utf8')).toBe('#include <stdio.h>\n#include <time.h>\nint main(void) { return 0; }\n');
    expect((await stat(path.join(tree, 'src/compat.h'))).mode & 0o777).toBe(0o640);
    expect(formatSourceEdits(applied)).toEqual([
      'edit src/compat.h: 2 replacements — gcc >= 10 refuses to paste "foo" and "->"',
      'edit smtpd.c: 1 replacement — ctime() without a prototype truncates its pointer on 64-bit',
    ]);
  });

  it('is idempotent: a second run finds the replacements and changes nothing (even when the replacement holds the text it finds)', async () => {
    await applySourceEdits(tree, [PASTE, TIME_H]);
    const again = await applySourceEdits(tree, [PASTE, TIME_H]);
    expect(again.map((edit) => edit.alreadyApplied)).toEqual([true, true]);
    expect(await readFile(path.join(tree, 'smtpd.c'), 'utf8')).toBe('#include <stdio.h>\n#include <time.h>\nint main(void) { return 0; }\n');
  });

  it('fails when the file holds neither text: the source is another version', async () => {
    await writeFile(path.join(tree, 'src/compat.h'), '#define TIMEZONE(foo) (foo)->tm_zone\n');
    const failure = await applySourceEdits(tree, [PASTE]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(JailwrightError);
    expect((failure as JailwrightError).message).toContain('src/compat.h holds neither "foo##->" nor its replacement');
    expect((failure as JailwrightError).exitCode).toBe(2);
    await expect(applySourceEdits(tree, [{ ...PASTE, file: 'src/missing.h' }])).rejects.toThrow('src/missing.h is not in the source tree');
  });

  it('refuses a file that a link leads out of the tree', async () => {
    const outside = await mkdtemp(path.join(tmpdir(), 'jailwright-outside-'));
    try {
      await writeFile(path.join(outside, 'victim.h'), 'foo##->\n');
      await symlink(path.join(outside, 'victim.h'), path.join(tree, 'src/link.h'));
      await expect(applySourceEdits(tree, [{ ...PASTE, file: 'src/link.h' }])).rejects.toThrow('outside the source tree');
      expect(await readFile(path.join(outside, 'victim.h'), 'utf8')).toBe('foo##->\n');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('editSourceText says undefined when nothing matches', () => {
    expect(editSourceText('abc', { find: 'x', replace: 'y' })).toBeUndefined();
    expect(editSourceText('axbx', { find: 'x', replace: 'y' })).toEqual({ text: 'ayby', replacements: 2 });
  });

  it('a build profile takes edits, and refuses edits that leave the tree or change nothing', () => {
    const recipe = (edit: string) => `specVersion: 1\nname: t\nbuild:\n  profiles:\n    default:\n      prefix: /opt/t\n      configure: []\n      edits:\n        - ${edit}\njail: {}\n`;
    const parsed = parseRecipe(recipe('{ file: src/compat.h, find: "foo##->", replace: "foo->", reason: gcc }'), 'r.yaml');
    expect(parsed.build?.profiles.default?.edits?.[0]?.file).toBe('src/compat.h');
    expect(() => parseRecipe(recipe('{ file: ../etc/passwd, find: a, replace: b, reason: r }'), 'r.yaml')).toThrow('must be relative to the source tree and must not contain ".."');
    expect(() => parseRecipe(recipe('{ file: /etc/passwd, find: a, replace: b, reason: r }'), 'r.yaml')).toThrow('must be relative to the source tree');
    expect(() => parseRecipe(recipe('{ file: a.c, find: a, replace: a, reason: r }'), 'r.yaml')).toThrow('would change nothing');
    expect(() => parseRecipe(recipe('{ file: a.c, find: a, replace: b }'), 'r.yaml')).toThrow(/reason/);
  });
});
