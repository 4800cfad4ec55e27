/** What a probe runs against: the jail root, and the service's PIDs for the process probe. */
export interface ProbeContext {
  /** The jail root on the host (log files are read under it; the process probe expects it as the root). */
  root: string;
  /** PIDs of the service (the process and its descendants, see `processTree`), for the process probe. */
  pids?: number[];
  /** Aborts the probe early (e.g. the launcher is stopping). */
  signal?: AbortSignal;
}

/** The outcome of one probe: on failure, `expected` and `actual` say what was wanted and what came back. */
export interface ProbeResult {
  ok: boolean;
  /** Short description of the probe, e.g. "http 127.0.0.1:8080 HEAD /". */
  probe: string;
  expected: string;
  actual: string;
  durationMs: number;
}

/** The part of a result a single check produces; `runProbe` adds the description and the duration. */
export interface ProbeOutcome {
  ok: boolean;
  expected: string;
  actual: string;
}

/** One line for humans: "ok   http … — got 200 OK" or "FAIL http … — expected HTTP 200 from …, got 404 Not Found". */
export function formatProbeResult(result: ProbeResult): string {
  const time = `(${Math.round(result.durationMs)} ms)`;
  return result.ok
    ? `ok   ${result.probe}: ${result.actual} ${time}`
    : `FAIL ${result.probe}: expected ${result.expected}, got ${result.actual} ${time}`;
}
