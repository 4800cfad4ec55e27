import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../support/root.js';

/** True when gcc is installed (the C test programs are compiled in the test). */
export const haveGcc = (await run('gcc', ['--version'])).code === 0;

/** Compiles C source into `output` with extra gcc arguments; throws with gcc's message on failure. */
export async function compile(directory: string, name: string, source: string, output: string, args: string[] = []): Promise<string> {
  await mkdir(directory, { recursive: true });
  const file = path.join(directory, `${name}.c`);
  await writeFile(file, source);
  const result = await run('gcc', ['-O1', '-o', output, file, ...args]);
  if (result.code !== 0) throw new Error(`gcc failed for ${name}:\n${result.stderr}`);
  return output;
}

/** A TCP port free on 127.0.0.1 right now (the kernel picks it), so tests bind no fixed port. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
