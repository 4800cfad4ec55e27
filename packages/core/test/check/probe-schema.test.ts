import { describe, expect, it } from 'vitest';
import { describeProbe, parseProbe } from '../../src/check/index.js';
import { normalizeRecipe, parseRecipe, RecipeError } from '../../src/recipe/index.js';

const recipeWith = (probes: string) => `specVersion: 1
name: web
jail:
  files: [/usr/bin/true]
probes:
${probes}`;

describe('probes in a recipe', () => {
  it('fills every default and keeps the probes through normalization', () => {
    const recipe = parseRecipe(
      recipeWith(`  - { type: http, port: 8080 }
  - { type: dns, name: www.example.test, expect: 192.0.2.1, authoritative: true }
  - { type: smtp }
  - { type: tcp, host: "::1", port: 22, timeoutMs: 1000 }
  - { type: process, user: www-data }
  - { type: log, file: /var/log/apache2/access.log, pattern: '"HEAD / HTTP/1\\.[01]" 200' }
`),
      'recipe.yaml',
    );
    expect(normalizeRecipe(recipe).probes).toEqual([
      { type: 'http', host: '127.0.0.1', port: 8080, path: '/', method: 'HEAD', expectStatus: 200, timeoutMs: 5000 },
      { type: 'dns', server: '127.0.0.1', port: 53, name: 'www.example.test', recordType: 'A', expect: '192.0.2.1', authoritative: true, timeoutMs: 5000 },
      { type: 'smtp', host: '127.0.0.1', port: 25, ehlo: 'jailwright.test', timeoutMs: 5000 },
      { type: 'tcp', host: '::1', port: 22, timeoutMs: 1000 },
      { type: 'process', user: 'www-data', scope: 'all', timeoutMs: 5000 },
      { type: 'log', file: '/var/log/apache2/access.log', pattern: '"HEAD / HTTP/1\\.[01]" 200', sinceStart: false, timeoutMs: 5000 },
    ]);
    expect(normalizeRecipe(parseRecipe('specVersion: 1\nname: x\njail: {}\n', 'r.yaml')).probes).toBeUndefined();
  });

  it('points at a bad probe with its line and says what is wrong', () => {
    const attempt = (probes: string) => {
      try {
        parseRecipe(recipeWith(probes), 'recipe.yaml');
      } catch (error) {
        if (error instanceof RecipeError) return error.issues.map((issue) => `${issue.line}: ${issue.message}`);
        throw error;
      }
      throw new Error('expected a RecipeError');
    };
    expect(attempt('  - { type: http, port: 80, expectBody: "ok" }\n').join('\n')).toMatch(/^6: .*expectBody needs method: GET/);
    expect(attempt('  - { type: log, file: /var/log/x, pattern: "([" }\n').join('\n')).toMatch(/"\(\[" is not a regular expression/);
    expect(attempt('  - { type: dns, name: x, recordType: PTR }\n').join('\n')).toMatch(/A.*AAAA.*MX/);
    expect(attempt('  - { type: tcp, port: 80, hots: x }\n').join('\n')).toMatch(/hots/);
    expect(attempt('  - { type: ping, host: x }\n')).toHaveLength(1);
    expect(attempt('  - { type: log, file: ../etc/shadow, pattern: x }\n')).toHaveLength(1);
  });
});

describe('parseProbe and describeProbe', () => {
  it('describes each probe in a few words', () => {
    expect(describeProbe(parseProbe({ type: 'http', port: 80, path: '/index.html', method: 'GET' }))).toBe('http 127.0.0.1:80 GET /index.html');
    expect(describeProbe(parseProbe({ type: 'dns', server: '::1', name: 'example.test', recordType: 'MX' }))).toBe('dns MX example.test @[::1]:53');
    expect(describeProbe(parseProbe({ type: 'smtp', host: 'mx.example.test' }))).toBe('smtp mx.example.test:25');
    expect(describeProbe(parseProbe({ type: 'process', user: 'bind', group: 'bind' }))).toBe('process runs as bind:bind in the jail');
    expect(describeProbe(parseProbe({ type: 'log', file: '/var/log/x.log', pattern: 'ready' }))).toBe('log /var/log/x.log /ready/');
  });

  it('throws a usage error for a probe that is not valid', () => {
    expect(() => parseProbe({ type: 'tcp', port: 0 })).toThrow(/invalid probe/);
    expect(() => parseProbe({ type: 'http', port: 80, path: 'index.html' })).toThrow(/must start with "\/"/);
  });
});
