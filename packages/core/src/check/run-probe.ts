import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { ExitCode, JailwrightError } from '../errors.js';
import { ProbeSchema, type Probe, type ProbeInput } from '../recipe/probe-schema.js';
import { deadline, describeFailure, hostPort, sleep } from './deadline.js';
import { checkDns } from './dns-probe.js';
import { checkHttp } from './http-probe.js';
import { watchLog } from './log-probe.js';
import type { ProbeContext, ProbeOutcome, ProbeResult } from './probe-result.js';
import { checkProcess } from './process-probe.js';
import { checkSmtp } from './smtp-probe.js';
import { checkTcp } from './tcp-probe.js';

/** Validates a probe written in code or read from a recipe and fills its defaults. */
export function parseProbe(probe: ProbeInput): Probe {
  const result = ProbeSchema.safeParse(probe);
  if (result.success) return result.data;
  throw new JailwrightError(`invalid probe ${JSON.stringify(probe)}:\n${z.prettifyError(result.error)}`, { exitCode: ExitCode.badInput });
}

/** A short description of a probe: "http 127.0.0.1:8080 HEAD /", "dns A www.example.test @127.0.0.1:53". */
export function describeProbe(probe: Probe): string {
  switch (probe.type) {
    case 'http':
      return `http ${hostPort(probe.host, probe.port)} ${probe.method} ${probe.path}`;
    case 'dns':
      return `dns ${probe.recordType} ${probe.name} @${hostPort(probe.server, probe.port)}`;
    case 'smtp':
      return `smtp ${hostPort(probe.host, probe.port)}`;
    case 'tcp':
      return `tcp ${hostPort(probe.host, probe.port)}`;
    case 'process':
      return `process runs as ${probe.user}${probe.group === undefined ? '' : `:${probe.group}`} in the jail`;
    case 'log':
      return `log ${probe.file} /${probe.pattern}/`;
  }
}

/** A probe ready to run until its deadline. */
type ReadyProbe = (signal: AbortSignal) => Promise<ProbeOutcome>;

/**
 * Readies a probe to run. A log probe takes its starting point here (with sinceStart, the end of its file): probes
 * readied together before any runs (runProbes, check) see the line another one's request writes, never an older one.
 */
async function ready(probe: Probe, context: ProbeContext): Promise<ReadyProbe> {
  switch (probe.type) {
    case 'http':
      return (signal) => checkHttp(probe, signal);
    case 'dns':
      return (signal) => checkDns(probe, signal);
    case 'smtp':
      return (signal) => checkSmtp(probe, signal);
    case 'tcp':
      return (signal) => checkTcp(probe, signal);
    case 'process':
      return () => checkProcess(probe, context);
    case 'log':
      return watchLog(probe, context);
  }
}

async function attempt(probe: Probe, context: ProbeContext, timeoutMs: number, readied: Promise<ReadyProbe>): Promise<ProbeResult> {
  const started = performance.now();
  let outcome: ProbeOutcome;
  try {
    const run = await readied;
    outcome = await run(deadline(timeoutMs, context.signal));
  } catch (error) {
    outcome = { ok: false, expected: describeProbe(probe), actual: describeFailure(error) };
  }
  return { ok: outcome.ok, probe: describeProbe(probe), expected: outcome.expected, actual: outcome.actual, durationMs: performance.now() - started };
}

/** Runs one probe once, within its timeout; never throws for a failing service, only for an invalid probe. */
export function runProbe(probe: ProbeInput, context: ProbeContext): Promise<ProbeResult> {
  const parsed = parseProbe(probe);
  return attempt(parsed, context, parsed.timeoutMs, ready(parsed, context));
}

/**
 * Runs every probe (concurrently) and returns all results, in the order given. All are readied before any runs, so
 * a log probe with sinceStart counts the line the http probe's own request writes, and no line written before.
 */
export function runProbes(probes: readonly ProbeInput[], context: ProbeContext): Promise<ProbeResult[]> {
  const parsed = probes.map(parseProbe);
  const readied = parsed.map((probe) => ready(probe, context));
  return Promise.allSettled(readied).then(() => Promise.all(parsed.map((probe, index) => attempt(probe, context, probe.timeoutMs, readied[index]!))));
}

export interface WaitForOptions {
  /** Give up after this long in total. */
  timeoutMs: number;
  /** Pause between attempts. Default: 200 ms. */
  intervalMs?: number;
}

/** A probe result after retries: `attempts` says how many it took; `durationMs` is the total wait. */
export interface WaitForResult extends ProbeResult {
  attempts: number;
}

/** Retries a probe until it passes or `timeoutMs` runs out (readiness); returns the last result. */
export async function waitFor(probe: ProbeInput, context: ProbeContext, options: WaitForOptions): Promise<WaitForResult> {
  const parsed = parseProbe(probe);
  const started = performance.now();
  const intervalMs = options.intervalMs ?? 200;
  // Readied once: a log probe follows its file across attempts, and with sinceStart counts what is written after the wait began.
  const readied = ready(parsed, context);
  let attempts = 0;
  for (;;) {
    const remaining = options.timeoutMs - (performance.now() - started);
    attempts++;
    const result = await attempt(parsed, context, Math.max(1, Math.min(parsed.timeoutMs, remaining)), readied);
    const elapsed = performance.now() - started;
    const done = result.ok || context.signal?.aborted === true || elapsed + intervalMs >= options.timeoutMs;
    if (done) {
      const suffix = result.ok ? '' : ` (after ${attempts} attempt${attempts === 1 ? '' : 's'} in ${Math.round(elapsed)} ms)`;
      return { ...result, actual: `${result.actual}${suffix}`, durationMs: elapsed, attempts };
    }
    try {
      await sleep(intervalMs, context.signal);
    } catch {
      // Aborted: the next attempt reports it.
    }
  }
}
