/** Raised (as an abort reason) when a probe attempt runs out of time. */
export class ProbeTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'ProbeTimeout';
  }
}

/** A signal that aborts after `timeoutMs` with a ProbeTimeout, or when the caller's signal aborts. */
export function deadline(timeoutMs: number, outer?: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new ProbeTimeout(timeoutMs)), timeoutMs);
  timer.unref();
  const onOuterAbort = () => controller.abort(outer?.reason ?? new Error('probe aborted'));
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  controller.signal.addEventListener(
    'abort',
    () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    },
    { once: true },
  );
  return controller.signal;
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Rejects with the signal's reason once it aborts; for racing against socket work. */
export function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  EADDRNOTAVAIL: 'address not available',
  EPIPE: 'connection closed while sending',
};

/** Says what went wrong, in words and with the errno code: "connection refused (ECONNREFUSED)". */
export function describeFailure(error: unknown): string {
  if (error instanceof ProbeTimeout) return error.message;
  const failure = error as { code?: unknown; message?: unknown };
  const code = typeof failure?.code === 'string' ? failure.code : undefined;
  if (code && NETWORK_ERRORS[code]) return `${NETWORK_ERRORS[code]} (${code})`;
  const message = typeof failure?.message === 'string' ? failure.message : String(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/** "127.0.0.1:80", "[::1]:80". */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
