import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { LogProbe } from '../recipe/probe-schema.js';
import { describeFailure, sleep } from './deadline.js';
import type { ProbeContext, ProbeOutcome } from './probe-result.js';

const POLL_INTERVAL_MS = 100;
/** Read at most this much per poll, so a huge log cannot stall a probe. */
const READ_CHUNK = 1024 * 1024;

/**
 * The host path of a file inside the jail, refusing one that resolves outside it: the probe runs as root
 * and must not be turned into a reader of host files by a symlink the jailed service planted.
 */
export async function fileInsideJail(root: string, file: string): Promise<string> {
  const jail = await realpath(root);
  const resolved = await realpath(path.join(jail, file));
  if (resolved !== jail && !resolved.startsWith(`${jail}/`)) throw new Error(`${file} resolves to ${resolved}, outside the jail ${jail}`);
  return resolved;
}

/** Follows a growing file: each call returns the complete lines appended since the last one. */
class LogFollower {
  private partial = '';
  lastLine = '';
  linesSeen = 0;

  constructor(private readonly root: string, private readonly file: string, private offset: number) {}

  async newLines(): Promise<string[]> {
    const resolved = await fileInsideJail(this.root, this.file);
    const handle = await open(resolved, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new Error(`${this.file} is not a regular file`);
      if (info.size < this.offset) {
        // Truncated or rotated: start again from the top.
        this.offset = 0;
        this.partial = '';
      }
      const length = Math.min(info.size - this.offset, READ_CHUNK);
      if (length <= 0) return [];
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, this.offset);
      this.offset += bytesRead;
      const text = this.partial + buffer.subarray(0, bytesRead).toString('utf8');
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      const complete = lines.map((line) => line.replace(/\r$/, ''));
      this.linesSeen += complete.length;
      if (complete.length > 0) this.lastLine = complete[complete.length - 1] ?? '';
      return complete;
    } finally {
      await handle.close();
    }
  }
}

/**
 * Starts watching a log probe's file and returns the poll that waits for a matching line. With sinceStart, what the
 * file holds now does not count (a file that appears later counts whole): what the probe watches is taken here, so a
 * caller that readies it before sending a request of its own sees the line that request causes and no older one.
 */
export async function watchLog(probe: LogProbe, context: ProbeContext): Promise<(signal: AbortSignal) => Promise<ProbeOutcome>> {
  const start = probe.sinceStart ? await fileInsideJail(context.root, probe.file).then((file) => stat(file)).catch(() => undefined) : undefined;
  const follower = new LogFollower(context.root, probe.file, start?.size ?? 0);
  return (signal) => pollLog(probe, follower, signal);
}

/** Polls the file until a line matches the pattern or the signal aborts (the deadline). */
async function pollLog(probe: LogProbe, follower: LogFollower, signal: AbortSignal): Promise<ProbeOutcome> {
  const pattern = new RegExp(probe.pattern);
  const expected = `a line matching /${probe.pattern}/ in ${probe.file}${probe.sinceStart ? ' written after the probe started' : ''}`;
  let lastProblem: string | undefined;
  for (;;) {
    try {
      const lines = await follower.newLines();
      lastProblem = undefined;
      const match = lines.find((line) => pattern.test(line));
      if (match !== undefined) return { ok: true, expected, actual: match };
    } catch (error) {
      const code = (error as { code?: string }).code;
      lastProblem = code === 'ENOENT' ? `no file ${probe.file} in the jail` : describeFailure(error);
      // A file that resolves outside the jail will not come back inside by waiting.
      if (code === undefined) return { ok: false, expected, actual: lastProblem };
    }
    try {
      await sleep(POLL_INTERVAL_MS, signal);
    } catch (error) {
      const seen =
        lastProblem ??
        (follower.linesSeen === 0 ? 'no line' : `${follower.linesSeen} line${follower.linesSeen === 1 ? '' : 's'}, none matching; last: ${JSON.stringify(follower.lastLine)}`);
      return { ok: false, expected, actual: `${seen} (${describeFailure(error)})` };
    }
  }
}
