import { describe, expect, it } from 'vitest';
import { ExitCode, JailwrightError } from '../../src/errors.js';
import { normalizeRecipe, parseRecipe, RecipeError } from '../../src/recipe/index.js';

const recipe = `specVersion: 1
name: web
options:
  port: { type: port, default: 8080, description: The TCP port on 127.0.0.1. }
  greeting: { default: "hello on {{port}}", description: The page text. }
jail:
  files: [/usr/bin/true]
  write:
    - { path: /etc/web.conf, content: "Listen 127.0.0.1:{{port}}\\n" }
    - { path: /srv/index.html, content: "{{greeting}}" }
probes:
  - { type: http, port: "{{port}}", path: / }
variants:
  other:
    description: Served some other way.
    jail:
      files: [/usr/bin/false]
    probes:
      - { type: tcp, port: "{{ port }}" }
`;

function rejected(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('recipe options and variants', () => {
  it('fills {{option}} with the defaults: a lone placeholder of a port option is a number, defaults may name other options', () => {
    const parsed = normalizeRecipe(parseRecipe(recipe, 'recipe.yaml'));
    expect(parsed.jail.write.map((entry) => entry.content)).toEqual(['Listen 127.0.0.1:8080\n', 'hello on 8080']);
    expect(parsed.probes).toEqual([expect.objectContaining({ type: 'http', port: 8080 })]);
    expect(parsed.jail.files.map((file) => file.path)).toEqual(['/usr/bin/true']);
  });

  it("uses the user's values as given, checked against the option's type", () => {
    const parsed = normalizeRecipe(parseRecipe(recipe, 'recipe.yaml', { options: { port: '18081', greeting: '{{port}} stays' } }));
    expect(parsed.jail.write.map((entry) => entry.content)).toEqual(['Listen 127.0.0.1:18081\n', '{{port}} stays']);
    expect(parsed.probes?.[0]).toMatchObject({ port: 18081 });
    for (const port of ['0', '65536', 'eighty', '80.5']) {
      const error = rejected(() => parseRecipe(recipe, 'recipe.yaml', { options: { port } }));
      expect(error).toBeInstanceOf(JailwrightError);
      expect((error as JailwrightError).exitCode).toBe(ExitCode.badInput);
      expect(error.message).toBe(`option port: ${JSON.stringify(port)} is not a port (a whole number from 1 to 65535)`);
    }
    const name = `specVersion: 1
name: named
options:
  zone: { default: example.test, pattern: "^[a-z.]+$", description: The zone. }
jail: { write: [{ path: /etc/zone, content: "{{zone}}" }] }
`;
    expect(parseRecipe(name, 'recipe.yaml', { options: { zone: 'example.org' } }).jail.write?.[0]?.content).toBe('example.org');
    expect(rejected(() => parseRecipe(name, 'recipe.yaml', { options: { zone: '../etc' } })).message).toBe('option zone: "../etc" does not match ^[a-z.]+$');
    const multiline = rejected(() => parseRecipe(recipe, 'recipe.yaml', { options: { greeting: 'one\ntwo' } }));
    expect(multiline.message).toMatch(/^option greeting: a string option holds one line/);
  });

  it('names an unknown option or variant, with the nearest known one', () => {
    const option = rejected(() => parseRecipe(recipe, 'recipe.yaml', { options: { prot: '1' } })) as JailwrightError;
    expect(option.exitCode).toBe(ExitCode.badInput);
    expect(option.message).toBe('unknown option "prot" (did you mean "port"?) — this recipe\'s options: port, greeting');
    const variant = rejected(() => parseRecipe(recipe, 'recipe.yaml', { variant: 'othr' })) as JailwrightError;
    expect(variant.exitCode).toBe(ExitCode.badInput);
    expect(variant.message).toBe('unknown variant "othr" (did you mean "other"?) — this recipe\'s variants: other');
  });

  it("puts a variant's sections in place of the top-level ones, each as a whole", () => {
    const parsed = normalizeRecipe(parseRecipe(recipe, 'recipe.yaml', { variant: 'other', options: { port: '9000' } }));
    expect(parsed.jail.files.map((file) => file.path)).toEqual(['/usr/bin/false']);
    expect(parsed.jail.write).toEqual([]);
    expect(parsed.probes).toEqual([expect.objectContaining({ type: 'tcp', port: 9000 })]);
    expect(parsed.description).toBe('Served some other way.');
  });

  it('reports a placeholder naming no option, a default naming itself, and a bad variant at their lines, whichever variant is chosen', () => {
    const broken = recipe
      .replace('content: "{{greeting}}"', 'content: "{{greting}}"')
      .replace('default: "hello on {{port}}"', 'default: "{{other}}"')
      .replace('  port: { type: port', '  other: { default: "{{greeting}}", description: loop }\n  port: { type: port')
      .replace('      files: [/usr/bin/false]', '      files: [usr/bin/false]');
    const error = rejected(() => parseRecipe(broken, 'recipe.yaml'));
    expect(error).toBeInstanceOf(RecipeError);
    const issues = (error as RecipeError).issues.map((issue) => `${issue.line} ${issue.path}: ${issue.message}`);
    expect(issues).toEqual([
      expect.stringMatching(/^4 options\.other\.default: the default of other names itself through other → greeting → other$/),
      expect.stringMatching(/^11 jail\.write\[1\]\.content: \{\{greting\}\} names no option — declare it under options: \(declared: other, port, greeting\)$/),
      expect.stringMatching(/^18 variants\.other\.jail\.files\[0\]/),
    ]);
  });
});
