import { stat } from 'node:fs/promises';
import { JailwrightError } from '../errors.js';

/** A character or block device as the host has it. */
export interface HostDevice {
  name: string;
  kind: 'char' | 'block';
  major: number;
  minor: number;
  mode: number;
  uid: number;
  gid: number;
}

/** Reads major/minor and permissions from the host's own node (`/dev/<name>`), never from a table. */
export async function readHostDevice(name: string, hostRoot = '/'): Promise<HostDevice> {
  const nodePath = `${hostRoot.replace(/\/$/, '')}/dev/${name}`;
  const info = await stat(nodePath).catch((error: unknown) => {
    throw new JailwrightError(`cannot read host device ${nodePath}: ${(error as Error).message}`, { cause: error });
  });
  if (!info.isCharacterDevice() && !info.isBlockDevice()) {
    throw new JailwrightError(`host ${nodePath} is not a device node`);
  }
  return {
    name,
    kind: info.isCharacterDevice() ? 'char' : 'block',
    major: majorOf(info.rdev),
    minor: minorOf(info.rdev),
    mode: info.mode & 0o7777,
    uid: info.uid,
    gid: info.gid,
  };
}

/** glibc's gnu_dev_major for a Linux dev_t. */
export function majorOf(rdev: number): number {
  const value = BigInt(rdev);
  return Number(((value >> 8n) & 0xfffn) | ((value >> 32n) & ~0xfffn));
}

/** glibc's gnu_dev_minor for a Linux dev_t. */
export function minorOf(rdev: number): number {
  const value = BigInt(rdev);
  return Number((value & 0xffn) | ((value >> 12n) & ~0xffn));
}
