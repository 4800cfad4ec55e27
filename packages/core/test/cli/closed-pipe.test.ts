import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JAILWRIGHT_CLI } from '../../src/testing/index.js';

describe('the CLI writing into a pipe its reader closed', () => {
  it('stops quietly, exit 0 and no stack trace, when the reader is gone before it writes (jailwright compile --help | head)', () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'jailwright-pipe-'));
    try {
      // A pipe whose only reader is closed before the CLI starts, so its first write fails with EPIPE, every
      // time: a FIFO opened read-write (Linux opens that without waiting) lets the write end open without
      // blocking; then the read-write end, the only reader, is closed.
      const fifo = path.join(directory, 'stdout');
      execFileSync('mkfifo', [fifo]);
      const reader = openSync(fifo, 'r+');
      const writer = openSync(fifo, 'w');
      closeSync(reader);
      try {
        expect(() => writeSync(writer, 'x'), 'the pipe has no reader left').toThrow(expect.objectContaining({ code: 'EPIPE' }));
        const cli = spawnSync(process.execPath, [JAILWRIGHT_CLI, 'compile', '--help'], { stdio: ['ignore', writer, 'pipe'], encoding: 'utf8', timeout: 60_000 });
        expect(cli.stderr).toBe('');
        expect(cli.status).toBe(0);
      } finally {
        closeSync(writer);
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
