import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLintFinding, lintRecipe, lintRecipeText } from '../../src/lint/lint-recipe.js';
import { jailwright } from '../support/root.js';

/** A recipe that passes every rule; each test breaks one thing. */
const CLEAN = `# yaml-language-server: $schema=../../packages/core/schema/recipe.schema.json
specVersion: 1
name: tiny
description: "a recipe every rule accepts"
jail:
  include: [base]
  files:
    - /bin/sh
  users: [nobody]
  devices: [zero, urandom]
launch:
  mode: engine-chroot
  command: [/bin/sh, -c, "sleep 60"]
  user: nobody
probes:
  - { type: process, user: nobody }
`;

const lint = (text: string) => lintRecipeText(text, 'recipe.yaml').map((finding) => `${finding.line}:${finding.rule}: ${finding.message}`);

describe('jailwright lint rules', () => {
  it('finds nothing in a clean recipe', () => {
    expect(lint(CLEAN)).toEqual([]);
  });

  it('names each missing required field', () => {
    const findings = lint(CLEAN.replace('description: "a recipe every rule accepts"\n', '').replace(/probes:\n.*\n/, ''));
    expect(findings).toEqual([expect.stringMatching(/^2:required: missing description/), expect.stringMatching(/^2:required: missing probes/)]);
  });

  it('points at the first key out of the canonical order, top level and in jail', () => {
    const swapped = CLEAN.replace('specVersion: 1\nname: tiny\n', 'name: tiny\nspecVersion: 1\n').replace('  users: [nobody]\n  devices: [zero, urandom]\n', '  devices: [zero, urandom]\n  users: [nobody]\n');
    expect(lint(swapped)).toEqual([
      expect.stringMatching(/^3:order: specVersion must come before name/),
      expect.stringMatching(/^10:order: users must come before devices \(jail's canonical order: include, files, users, devices\)/),
    ]);
  });

  it('wants a sha256 of 64 hex digits and an https source, wherever they stand', () => {
    // A source section is not part of specVersion 1 yet: the schema says so, and the rules still read it.
    const withSource = CLEAN.replace('jail:\n', 'source: { url: "http://example.org/tiny-1.0.tar.gz", sha256: "abc123" }\njail:\n');
    const findings = lint(withSource);
    expect(findings).toContainEqual(expect.stringMatching(/^5:https: "http:\/\/example.org\/tiny-1.0.tar.gz" is not an https URL/));
    expect(findings).toContainEqual(expect.stringMatching(/^5:sha256: sha256 "abc123" is not 64 lower-case hex digits/));
    const good = CLEAN.replace('jail:\n', `source: { url: "https://example.org/tiny-1.0.tar.gz", sha256: "${'a1'.repeat(32)}" }\njail:\n`);
    expect(lint(good).filter((finding) => !finding.includes(':schema:'))).toEqual([]);
  });

  it('refuses a root service user, a device off the allow-list and a setuid mode without keepSetuid', () => {
    const bad = CLEAN.replace('  user: nobody\n', '  user: root\n')
      .replace('devices: [zero, urandom]', 'devices: [zero, tty]')
      .replace('    - /bin/sh\n', '    - /bin/sh\n    - { path: /usr/bin/passwd, mode: "4755" }\n    - { path: /usr/bin/chsh, keepSetuid: true, reason: "the service changes shells" }\n');
    const findings = lint(bad);
    expect(findings).toContainEqual(expect.stringMatching(/^12:devices: device "tty" is not on the allow-list/));
    expect(findings).toContainEqual(expect.stringMatching(/^9:setuid: mode 4755 sets setuid\/setgid bits/));
    expect(findings.filter((finding) => finding.includes('chsh') || finding.startsWith('10:'))).toEqual([]);
    expect(findings).toContainEqual(expect.stringMatching(/^16:service-user: the service runs as root/));
  });

  it('wants every host file that is not optional to exist, and a probe', () => {
    const bad = CLEAN.replace('    - /bin/sh\n', '    - /bin/sh\n    - /usr/sbin/no-such-daemon\n    - { path: /etc/no-such.conf, optional: true }\n').replace(/probes:\n.*\n/, 'probes: []\n');
    expect(lint(bad)).toEqual([
      expect.stringMatching(/^9:file-exists: \/usr\/sbin\/no-such-daemon does not exist on this host/),
      expect.stringMatching(/^17:probe: probes is empty/),
    ]);
  });

  it('reports schema errors at their line as findings of the schema rule', () => {
    expect(lint(CLEAN.replace('  include: [base]\n', '  include: [base]\n  filez: []\n'))).toContainEqual(expect.stringMatching(/^7:schema: jail: unknown key "filez".*did you mean "files"/));
  });
});

describe('jailwright lint (the command)', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'jailwright-lint-'));
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it('exits 0 on a clean recipe, 1 with file:line findings, 2 when the recipe is missing; --json for scripts', async () => {
    await writeFile(path.join(directory, 'recipe.yaml'), CLEAN);
    const clean = await jailwright('lint', directory);
    expect(clean.stdout).toContain('lint clean');
    expect(clean.code).toBe(0);

    const bad = path.join(directory, 'bad.yaml');
    await writeFile(bad, CLEAN.replace('  user: nobody\n', '  user: root\n'));
    const found = await jailwright('lint', bad);
    expect(found.stdout).toContain(`${bad}:14:9: service-user: the service runs as root`);
    expect(found.code).toBe(1);
    const json = JSON.parse((await jailwright('lint', bad, '--json')).stdout) as { findings: { rule: string; line: number }[] };
    expect(json.findings.map((finding) => [finding.rule, finding.line])).toContainEqual(['service-user', 14]);

    expect((await jailwright('lint', path.join(directory, 'missing.yaml'))).code).toBe(2);
  });

  it('finds both shipped recipes clean', async () => {
    for (const recipe of ['apache', 'bind']) {
      const result = await jailwright('lint', new URL(`../../../../recipes/${recipe}`, import.meta.url).pathname);
      expect(result.stdout).toContain('lint clean');
      expect(result.code).toBe(0);
    }
  });
});

/** CLEAN with an option for the service account and a variant that gives the jail a terminal. */
const BASE = `${CLEAN.replace('description: "a recipe every rule accepts"\n', 'description: "a recipe every rule accepts"\noptions:\n  user: { default: nobody, description: "The account the service runs as." }\n').replace('  user: nobody\n', '  user: "{{user}}"\n')}variants:
  terminal:
    description: "with a terminal"
    jail: { include: [base], files: [/bin/sh], users: [nobody], devices: [zero, tty] }
`;

describe('jailwright lint of a recipe that extends another', () => {
  let directory: string;
  let base: string;
  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'jailwright-lint-extends-'));
    base = path.join(directory, 'base.yaml');
    await writeFile(base, BASE);
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  async function lintFile(name: string, text: string): Promise<{ file: string; findings: string[] }> {
    const file = path.join(directory, name);
    await writeFile(file, text);
    return { file, findings: (await lintRecipe(file)).findings.map(formatLintFinding) };
  }

  it('finds nothing in an extending recipe whose choice is declared and whose recipe is clean; the command exits 0', async () => {
    const { file, findings } = await lintFile('mine.yaml', 'specVersion: 1\nextends: ./base.yaml\nwith: { user: nobody }\n');
    expect(findings).toEqual([]);
    const result = await jailwright('lint', file);
    expect(result.stdout).toBe(`${file}: lint clean\n`);
    expect(result.code).toBe(0);
  });

  it("reports the extending file's own keys, order and values at its lines, before the recipe it extends", async () => {
    const { file, findings } = await lintFile('unordered.yaml', 'extends: ./base.yaml\nspecVersion: 1\nwith: { user: nobody, url: "http://example.org/tiny.tar.gz" }\njail: { files: [/bin/sh] }\n');
    expect(findings).toEqual([
      `${file}:2:1: order: specVersion must come before extends (the recipe's canonical order: specVersion, extends, with)`,
      expect.stringMatching(new RegExp(`^${file}:3:28: https: "http://example.org/tiny.tar.gz" is not an https URL`)),
      `${file}:4:1: schema: a recipe with extends: only chooses — it may hold specVersion, extends, variant and with, not jail`,
    ]);
    const result = await jailwright('lint', file);
    expect(result.stdout).toContain(`${file}:2:1: order: specVersion must come before extends`);
    expect(result.code).toBe(1);
  });

  it('lints the recipe the choice produces, at the lines of the extended file, and a choice it does not declare at the line making it', async () => {
    expect((await lintFile('as-root.yaml', 'specVersion: 1\nextends: ./base.yaml\nwith: { user: root }\n')).findings).toEqual([
      `${base}:16:9: schema: launch.user: engine-chroot never runs the service as root: name a dedicated service account (users: [{ name: ..., create: true }])`,
      expect.stringMatching(new RegExp(`^${base}:16:9: service-user: the service runs as root`)),
    ]);
    expect((await lintFile('terminal.yaml', 'specVersion: 1\nextends: ./base.yaml\nvariant: terminal\n')).findings).toEqual([
      expect.stringMatching(new RegExp(`^${base}:22:81: devices: device "tty" is not on the allow-list`)),
    ]);
    // Through a second extending recipe: the nearer choice wins, and is what is linted.
    const nearer = await lintFile('nearer.yaml', 'specVersion: 1\nextends: ./as-root.yaml\nwith: { user: nobody }\n');
    expect(nearer.findings).toEqual([]);

    const misspelt = await lintFile('misspelt.yaml', 'specVersion: 1\nextends: ./base.yaml\nvariant: terminl\nwith:\n  usr: nobody\n');
    expect(misspelt.findings).toEqual([
      `${misspelt.file}:3:10: extends: unknown variant "terminl" (did you mean "terminal"?) — this recipe's variants: terminal (in ${base})`,
      `${misspelt.file}:5:8: extends: unknown option "usr" (did you mean "user"?) — this recipe's options: user (in ${base})`,
    ]);
  });

  it('reports a target that is missing or loops as a finding at the extends: line, not a crash', async () => {
    const missing = await lintFile('missing.yaml', 'specVersion: 1\n# builds on a recipe that is not there\nextends: ./no-such.yaml\n');
    expect(missing.findings).toEqual([expect.stringMatching(new RegExp(`^${missing.file}:3:10: extends: recipe "./no-such.yaml" not found\\. Tried:`))]);
    const result = await jailwright('lint', missing.file);
    expect(result.stdout).toContain(`${missing.file}:3:10: extends: recipe "./no-such.yaml" not found.`);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);

    const loopA = path.join(directory, 'loop-a.yaml');
    await writeFile(loopA, 'specVersion: 1\nextends: ./loop-b.yaml\n');
    const loop = await lintFile('loop-b.yaml', 'specVersion: 1\nextends: ./loop-a.yaml\n');
    expect(loop.findings).toEqual([`${loopA}:2:10: extends: "./loop-b.yaml" leads back to ${loop.file}: these recipes extend one another in a loop (${loop.file} → ${loopA} → ${loop.file})`]);
  });
});
