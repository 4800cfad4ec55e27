import { describe, expect, it } from 'vitest';
import { parseProcessStatus, readProcessStatus } from '../../src/host/processes.js';

const STATUS = [
  'Name:\tapache2',
  'Umask:\t0022',
  'State:\tS (sleeping)',
  'PPid:\t4711',
  'Uid:\t33\t33\t0\t33',
  'Gid:\t33\t33\t33\t33',
  'Groups:\t4 27 ',
  'NoNewPrivs:\t1',
  'CapInh:\t0000000000000000',
  'CapPrm:\t0000000000000000',
  'CapEff:\t0000000000000000',
  'CapBnd:\t00000000000400e0',
  'CapAmb:\t0000000000000000',
  '',
].join('\n');

describe('parseProcessStatus', () => {
  it('reads the name, state, ids, groups, no_new_privs and capability sets of /proc/PID/status text', () => {
    expect(parseProcessStatus(STATUS)).toEqual({
      name: 'apache2',
      state: 'S',
      uids: [33, 33, 0, 33],
      gids: [33, 33, 33, 33],
      groups: [4, 27],
      noNewPrivs: true,
      capabilities: { effective: 0n, permitted: 0n, inheritable: 0n, ambient: 0n, bounding: 0x400e0n },
    });
  });

  it('reads no groups from an empty Groups line, and refuses text without four uids', () => {
    expect(parseProcessStatus(STATUS.replace('Groups:\t4 27 ', 'Groups:\t')).groups).toEqual([]);
    expect(() => parseProcessStatus('Name:\tx\n')).toThrow(/no Uid line with four ids/);
    expect(() => parseProcessStatus(STATUS.replace('Gid:\t33\t33\t33\t33', 'Gid:\t33'))).toThrow(/no Gid line with four ids/);
  });
});

describe('readProcessStatus', () => {
  it('reads this process, and nothing for a PID that is not running', () => {
    const own = readProcessStatus(process.pid);
    expect(own?.uids[0]).toBe(process.getuid?.());
    expect(own?.state).toMatch(/^[RS]$/);
    expect(readProcessStatus(2 ** 22 + 1)).toBeUndefined();
  });
});
