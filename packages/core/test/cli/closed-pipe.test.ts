import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JAILWRIGHT_CLI } from '../../src/testing/index.js';

describe('the CLI writing into a pipe its reader closed', () => {
  it('stops quietly, with no stack trace (jailwright compile --help | true)', () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'jailwright-pipe-'));
    try {
      const errors = path.join(directory, 'stderr');
      // `true` exits at once, so the help is written into a pipe with no reader left: EPIPE.
      execFileSync('sh', ['-c', `"$0" "$1" compile --help 2>"$2" | true`, process.execPath, JAILWRIGHT_CLI, errors]);
      expect(readFileSync(errors, 'utf8')).toBe('');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
