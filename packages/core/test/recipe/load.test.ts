import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ExitCode, JailwrightError } from '../../src/errors.js';
import { loadRecipe, parseRecipe, RecipeError, type RecipeIssue } from '../../src/recipe/index.js';

const demoFile = fileURLToPath(new URL('../fixtures/demo/recipe.yaml', import.meta.url));

const minimal = `specVersion: 1
name: demo
jail:
  include: [base]
  files: [/usr/bin/id, /usr/bin/getent, /usr/bin/ls]
  users: [nobody]
`;

function failure(text: string): RecipeError {
  try {
    parseRecipe(text, 'recipe.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(RecipeError);
    return error as RecipeError;
  }
  throw new Error('expected the recipe to be rejected');
}

function onlyIssue(text: string): RecipeIssue {
  const { issues } = failure(text);
  expect(issues).toHaveLength(1);
  return issues[0]!;
}

describe('parseRecipe', () => {
  it('accepts the minimal recipe', () => {
    const recipe = parseRecipe(minimal, 'recipe.yaml');
    expect(recipe).toEqual({
      specVersion: 1,
      name: 'demo',
      jail: { include: ['base'], files: ['/usr/bin/id', '/usr/bin/getent', '/usr/bin/ls'], users: ['nobody'] },
    });
  });

  it('points at a misspelt key and suggests the right one', () => {
    const text = 'specVersion: 1\nname: demo\njail:\n  fils: [/usr/bin/id]\n';
    const error = failure(text);
    expect(error.issues).toEqual([
      {
        file: 'recipe.yaml',
        line: 4,
        column: 3,
        path: 'jail',
        message:
          'unknown key "fils" — expected one of include, files, libraries, directories, devices, users, groups, write, symlinks, link (did you mean "files"?)',
      },
    ]);
    expect(error.message).toBe(
      'recipe.yaml:4:3: jail: unknown key "fils" — expected one of include, files, libraries, directories, devices, users, groups, write, symlinks, link (did you mean "files"?)',
    );
    expect(error.exitCode).toBe(ExitCode.badInput);
    expect(error).toBeInstanceOf(JailwrightError);
  });

  it('finds unknown keys inside a file entry of a string-or-object list', () => {
    const text = `specVersion: 1
name: demo
jail:
  files:
    - /usr/bin/id
    - path: /usr/bin/ls
      mdoe: "0755"
`;
    expect(onlyIssue(text)).toMatchObject({ line: 7, column: 7, path: 'jail.files[1]', message: expect.stringContaining('(did you mean "mode"?)') });
  });

  it('suggests a preset name', () => {
    const issue = onlyIssue('specVersion: 1\nname: demo\njail:\n  include: [base, nsss]\n');
    expect(issue).toMatchObject({ line: 4, column: 19, path: 'jail.include[1]' });
    expect(issue.message).toBe('unknown preset "nsss" — known presets: base, nss, dns, timezone (did you mean "nss"?)');
  });

  it('rejects a mode given as a YAML number, at the value', () => {
    const text = `specVersion: 1
name: demo
jail:
  directories:
    - path: /var/run/demo
      mode: 0755
`;
    expect(onlyIssue(text)).toEqual({
      file: 'recipe.yaml',
      line: 6,
      column: 13,
      path: 'jail.directories[0].mode',
      message: 'mode must be a quoted octal string such as "0755" (an unquoted 0755 is read by YAML 1.2 as the decimal number 755)',
    });
  });

  it('rejects a quoted mode that is not octal', () => {
    const issue = onlyIssue('specVersion: 1\nname: demo\njail:\n  write: [{ path: /etc/demo.conf, content: "", mode: "0789" }]\n');
    expect(issue.path).toBe('jail.write[0].mode');
    expect(issue.message).toContain('"0789" is not an octal mode');
  });

  it('rejects ".." in a path as escaping the jail root', () => {
    const issue = onlyIssue('specVersion: 1\nname: demo\njail:\n  directories: [/var/../../etc]\n');
    expect(issue).toMatchObject({ line: 4, column: 17, path: 'jail.directories[0]' });
    expect(issue.message).toMatch(/would escape the jail root/);
  });

  it('rejects a path under /proc, saying why', () => {
    const issue = onlyIssue('specVersion: 1\nname: demo\njail:\n  files:\n    - path: /usr/bin/id\n      to: /proc/self/exe\n');
    expect(issue).toMatchObject({ line: 6, column: 11, path: 'jail.files[0].to' });
    expect(issue.message).toMatch(/"\/proc\/self\/exe" is not allowed: \/proc is a kernel filesystem/);
  });

  it('rejects relative, root and unnormalized paths', () => {
    const error = failure('specVersion: 1\nname: demo\njail:\n  directories: [var/run, /, /var//run, /var/./run]\n');
    expect(error.issues.map((issue) => issue.path)).toEqual([
      'jail.directories[0]',
      'jail.directories[1]',
      'jail.directories[2]',
      'jail.directories[3]',
    ]);
    expect(error.issues.map((issue) => issue.message)).toEqual([
      expect.stringContaining('is not absolute'),
      expect.stringContaining('is the jail root itself'),
      expect.stringContaining('contains "//"'),
      expect.stringContaining('is not normalized'),
    ]);
  });

  it('rejects a symlink target that climbs above the jail root', () => {
    const issue = onlyIssue('specVersion: 1\nname: demo\njail:\n  symlinks:\n    - { path: /lib/ld.so, target: ../../etc/shadow }\n');
    expect(issue).toMatchObject({ line: 5, column: 35, path: 'jail.symlinks[0].target' });
    expect(issue.message).toMatch(/would escape the jail root/);
    expect(parseRecipe('specVersion: 1\nname: demo\njail:\n  symlinks: [{ path: /lib64/x.so, target: ../lib/x.so }]\n', 'r.yaml').jail.symlinks).toHaveLength(1);
  });

  it('reports a missing jail at the top-level mapping', () => {
    expect(onlyIssue('# comment\nspecVersion: 1\nname: demo\n')).toEqual({
      file: 'recipe.yaml',
      line: 2,
      column: 1,
      path: '',
      message: 'missing required key "jail"',
    });
  });

  it('reports a missing key inside a list entry at that entry', () => {
    const issue = onlyIssue('specVersion: 1\nname: demo\njail:\n  write:\n    - path: /etc/demo.conf\n');
    expect(issue).toMatchObject({ line: 5, column: 7, path: 'jail.write[0]', message: 'missing required key "content"' });
  });

  it('says which specVersion this engine supports', () => {
    const wrong = onlyIssue('specVersion: 2\nname: demo\njail: { nonsense: true }\n');
    expect(wrong).toMatchObject({ line: 1, column: 14, path: 'specVersion' });
    expect(wrong.message).toMatch(/specVersion 2 is not supported — this engine reads specVersion 1/);
    expect(onlyIssue('specVersion: "1"\nname: demo\njail: {}\n').message).toContain('write it as a number');
    const missing = onlyIssue('name: demo\njail: {}\n');
    expect(missing).toMatchObject({ line: 1, column: 1, path: '' });
    expect(missing.message).toMatch(/missing required key "specVersion" — this engine reads specVersion 1/);
  });

  it('gives YAML syntax errors a line and column', () => {
    const issue = onlyIssue('specVersion: 1\nname: demo\njail:\n  include: [base\n  files: []\n');
    expect(issue).toMatchObject({ line: 5, column: 3, path: '' });
    expect(issue.message).toMatch(/^YAML syntax error: Flow sequence .* end with a \]$/);
    expect(onlyIssue('specVersion: 1\nname: "demo\\q"\njail: {}\n')).toMatchObject({ line: 2, column: 12 });
  });

  it('rejects a duplicate key at its second occurrence', () => {
    const issue = onlyIssue('specVersion: 1\nname: demo\njail:\n  include: [base]\n  include: [dns]\n');
    expect(issue).toMatchObject({ line: 5, column: 3, path: 'jail' });
    expect(issue.message).toBe('duplicate key "include": each key may appear only once in a mapping');
  });

  it('requires a reason to keep the setuid bit', () => {
    const text = 'specVersion: 1\nname: demo\njail:\n  files:\n    - path: /usr/bin/ping\n      keepSetuid: true\n';
    const issue = onlyIssue(text);
    expect(issue).toMatchObject({ line: 6, column: 19, path: 'jail.files[0].keepSetuid' });
    expect(issue.message).toMatch(/needs a `reason`/);
    expect(parseRecipe(`${text}      reason: raw sockets\n`, 'recipe.yaml').jail.files).toHaveLength(1);
  });

  it('lists every issue, in file order', () => {
    const error = failure('nme: demo\nspecVersion: 1\njail:\n  devices: [nul]\n  link: soft\n');
    // "name" is misspelt, so its "missing required key" is left out: one cause, one line.
    expect(error.issues.map((issue) => `${issue.line}:${issue.column}`)).toEqual(['1:1', '4:13', '5:9']);
    expect(error.message.split('\n')).toHaveLength(3);
    expect(error.message).toContain('recipe.yaml:1:1: unknown key "nme" — expected one of specVersion, name, description, jail, launch, syslog, probes, audit, build (did you mean "name"?)');
    expect(error.message).toContain('recipe.yaml:4:13: jail.devices[0]: unknown device "nul"');
  });

  it('rejects an empty file and a non-mapping document', () => {
    expect(onlyIssue('').message).toMatch(/the recipe is empty/);
    expect(onlyIssue('- a\n- b\n').message).toMatch(/a recipe is a mapping/);
  });

  it('explains a wrong type instead of repeating zod', () => {
    const issue = onlyIssue('specVersion: 1\nname: demo\njail:\n  users: [42]\n');
    expect(issue).toMatchObject({ line: 4, column: 11, path: 'jail.users[0]', message: 'expected a string or a mapping, got number 42' });
  });
});

describe('loadRecipe', () => {
  it('loads and normalizes the demo fixture', async () => {
    const loaded = await loadRecipe(demoFile);
    expect(loaded.file).toBe(demoFile);
    expect(loaded.directory).toBe(fileURLToPath(new URL('../fixtures/demo', import.meta.url)));
    expect(loaded.recipe.jail.files.map((file) => file.to)).toEqual(['/usr/bin/id', '/usr/bin/getent', '/usr/bin/ls']);
    expect(loaded.recipe.jail.users).toEqual([{ name: 'nobody', create: false }]);
    expect(loaded.recipe.jail.link).toBe('copy');
  });

  it('fails with exit code 2 on a missing file', async () => {
    await expect(loadRecipe('/nonexistent/recipe.yaml')).rejects.toMatchObject({
      exitCode: ExitCode.badInput,
      message: 'cannot read recipe /nonexistent/recipe.yaml: no such file',
    });
  });
});
