/** Runs `node <bin> ...args` with extra environment; resolves to the exit code and the output, never throws. */
export declare function runRecipeCommand(
  bin: string,
  args: string[],
  options?: { env?: Record<string, string>; timeoutMs?: number },
): Promise<{ code: number; stdout: string; stderr: string }>;
