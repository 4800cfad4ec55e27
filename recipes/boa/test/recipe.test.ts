import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HostView, applySourceEdits, formatSourceEdits, loadRecipe, planJail } from '@jailwright/core';
import { describe, expect, it } from 'vitest';
import { BOA_BUILDS, articleRecipeFile, boaConf, boaRecipe, recipeFile } from '../src/index.js';

/** The recipe's own entries in the plan (not the presets' host-dependent libraries), owners left out: uids differ per host. */
async function recipeEntries(file: string): Promise<string> {
  const { recipe } = await loadRecipe(file);
  const plan = await planJail(recipe, new HostView());
  return `${plan.operations
    .filter((operation) => operation.reason.startsWith('jail.'))
    .map((operation) => `${operation.kind.padEnd(9)} ${'mode' in operation && operation.mode !== undefined ? operation.mode.toString(8).padStart(4, '0') : '    '} ${operation.path}`)
    .join('\n')}\nusers: ${recipe.jail.users.map((user) => user.name).join(', ')}\n`;
}

describe('boa.conf from the recipe options', () => {
  it('writes every directive the issue names, with the defaults', () => {
    expect(boaConf()).toBe(
      [
        '# boa.conf written by @jailwright/boa; Boa reads it inside its jail, so every path is a jail path.',
        'Port 8088',
        'Listen 127.0.0.1',
        'User jw-boa',
        'Group jw-boa',
        'ServerName localhost',
        'DocumentRoot /var/www',
        'ErrorLog /var/log/boa/error_log',
        'AccessLog /var/log/boa/access_log',
        'MimeTypes /etc/mime.types',
        'DirectoryIndex index.html',
        'DefaultType text/plain',
        'KeepAliveMax 100',
        'KeepAliveTimeout 10',
        '',
      ].join('\n'),
    );
  });

  it('follows the options: another port and address, no ServerName, listings, CGI', () => {
    const conf = boaConf({ port: 8443, listen: '192.0.2.7', serverName: undefined, directoryMaker: '/usr/bin/boa_indexer', cgiDirectory: '/usr/lib/cgi-bin', user: 'www', group: 'www' });
    expect(conf).toContain('Port 8443\nListen 192.0.2.7\nUser www\nGroup www\nDocumentRoot /var/www\n');
    expect(conf).not.toContain('ServerName');
    expect(conf).toContain('DirectoryMaker /usr/bin/boa_indexer\n');
    expect(conf).toContain('ScriptAlias /cgi-bin/ /usr/lib/cgi-bin/\n');
    expect(boaConf({ listen: undefined })).not.toContain('Listen');
  });

  it('refuses values that would smuggle a directive or leave the jail', () => {
    expect(() => boaConf({ serverName: 'localhost\nUser root' })).toThrow('ServerName: "localhost\\nUser root" must be one word');
    expect(() => boaConf({ documentRoot: '/var/../etc' })).toThrow('DocumentRoot: "/var/../etc" must be an absolute path inside the jail');
    expect(() => boaConf({ errorLog: 'error_log' })).toThrow('ErrorLog: "error_log" must be an absolute path');
    expect(() => boaConf({ port: 70_000 })).toThrow('is not a TCP port');
  });

  it('never writes ChrootPath: Boa chroots from its command line (-r, or -e in the patched 0.94.8.3)', () => {
    for (const version of ['0.94.13', '0.94.14rc21', '0.94.8.3-chroot'] as const) expect(boaRecipe({ version })).not.toMatch(/^ +ChrootPath/m);
  });
});

describe('the recipe files are what boaRecipe() generates', () => {
  it('recipe.yaml (Boa 0.94.13, -r) and the article variant (0.94.8.3, -c /var/www -e <jail>)', async () => {
    await expect(boaRecipe()).toMatchFileSnapshot('../recipe.yaml');
    await expect(boaRecipe({ version: '0.94.8.3-chroot' }, '../../../packages/core/schema/recipe.schema.json')).toMatchFileSnapshot('../variants/article-0.94.8.3.yaml');
    const article = (await loadRecipe(articleRecipeFile)).recipe;
    expect(article.launch?.command).toEqual(['/usr/local/sbin/boa', '-c', '/var/www', '-e', '{root}']);
    expect(article.build).toBeUndefined();
    const current = (await loadRecipe(recipeFile)).recipe;
    expect(current.launch?.command).toEqual(['/usr/local/sbin/boa', '-r', '{root}', '-c', '/etc/boa', '-d']);
    expect(current.build?.profiles.default?.edits).toEqual(BOA_BUILDS['0.94.13'].edits);
  });

  it('0.94.14rc21 builds as it is: no edits, same command', () => {
    const text = boaRecipe({ version: '0.94.14rc21' });
    expect(text).not.toContain('edits:');
    expect(text).toContain('        - { name: install, run: [install, -D, -m, "0755", src/boa, "{destdir}{prefix}/sbin/boa"] }');
    expect(text).toContain('command: [/usr/local/sbin/boa, -r, "{root}", -c, /etc/boa, -d]');
  });

  it('a privileged port keeps net_bind_service; an unprivileged one does not', () => {
    expect(boaRecipe({ port: 80 })).toContain('capabilities: [sys_chroot, setuid, setgid, net_bind_service]');
    expect(boaRecipe()).toContain('capabilities: [sys_chroot, setuid, setgid]\n');
  });
});

describe('plans', () => {
  it("the article's jail (Listing 2): /etc/boa/mime.types, boa_indexer in /usr/bin (optional here), www-owned /var/log and /var/www", async () => {
    await expect(await recipeEntries(articleRecipeFile)).toMatchFileSnapshot('__snapshots__/plan-article.txt');
  });

  it('CGI puts the interpreter in the jail, and the recipe says what that hands an attacker', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'jailwright-boa-cgi-'));
    try {
      const text = boaRecipe({ cgiInterpreter: '/bin/sh' });
      expect(text).toContain('# CGI: /bin/sh in the jail hands whoever breaks Boa (or a careless script) a shell.');
      await writeFile(path.join(directory, 'boa-cgi.yaml'), text);
      const entries = await recipeEntries(path.join(directory, 'boa-cgi.yaml'));
      expect(entries).toMatch(/copy +0755 \/usr\/bin\/dash|copy +0755 \/bin\/sh/);
      expect(entries).toContain('/usr/lib/cgi-bin/hello');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe("Boa 0.94.13's source edits, on a small tree holding the release's lines", () => {
  it('fixes the token paste and adds -fcommon, reporting each edit; the recipe declares them', async () => {
    const tree = await mkdtemp(path.join(tmpdir(), 'jailwright-boa-edits-'));
    try {
      await mkdir(path.join(tree, 'src'));
      // Verbatim from boa-0.94.13/src/compat.h (lines 120, 126) and src/Makefile.in (line 24).
      await writeFile(path.join(tree, 'src/compat.h'), '#define TIMEZONE_OFFSET(foo) foo##->tm_gmtoff\n#else\n#define TIMEZONE(foo) foo##->tm_zone\n');
      await writeFile(path.join(tree, 'src/Makefile.in'), 'LDFLAGS = @LDFLAGS@\nCFLAGS = @CFLAGS@ -I.\n');
      const { recipe } = await loadRecipe(recipeFile);
      const applied = await applySourceEdits(tree, recipe.build?.profiles.default?.edits ?? []);
      expect(await readFile(path.join(tree, 'src/compat.h'), 'utf8')).toBe('#define TIMEZONE_OFFSET(foo) foo->tm_gmtoff\n#else\n#define TIMEZONE(foo) foo->tm_zone\n');
      expect(await readFile(path.join(tree, 'src/Makefile.in'), 'utf8')).toBe('LDFLAGS = @LDFLAGS@\nCFLAGS = @CFLAGS@ -fcommon -I.\n');
      expect(formatSourceEdits(applied).map((line) => line.split(' — ')[0])).toEqual(['edit src/compat.h: 2 replacements', 'edit src/Makefile.in: 1 replacement']);
    } finally {
      await rm(tree, { recursive: true, force: true });
    }
  });
});
