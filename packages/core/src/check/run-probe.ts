import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { ExitCode, JailwrightError } from '../errors.js';
import { ProbeSchema, type Probe, type ProbeInput } from '../recipe/probe-schema.js';
import { deadline, describeFailure, hostPort, sleep } from './deadline.js';
import { checkDns } from './dns-probe.js';
import { checkHttp } from './http-probe.js';
import { checkLog } from './log-probe.js';
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

function check(probe: Probe, context: ProbeContext, signal: AbortSignal): Promise<ProbeOutcome> {
  switch (probe.type) {
    case 'http':
      return checkHttp(probe, signal);
    case 'dns':
      return checkDns(probe, signal);
    case 'smtp':
      return checkSmtp(probe, signal);
    case 'tcp':
      return checkTcp(probe, signal);
    case 'process':
      return checkProcess(probe, context);
    case 'log':
      return checkLog(probe, context, signal);
  }
}

async function attempt(probe: Probe, context: ProbeContext, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  const signal = deadline(timeoutMs, context.signal);
  let outcome: ProbeOutcome;
  try {
    outcome = await check(probe, context, signal);
  } catch (error) {
    outcome = { ok: false, expected: describeProbe(probe), actual: describeFailure(error) };
  }
  return { ok: outcome.ok, probe: describeProbe(probe), expected: outcome.expected, actual: outcome.actual, durationMs: performance.now() - started };
}

/** Runs one probe once, within its timeout; never throws for a failing service, only for an invalid probe. */
export function runProbe(probe: ProbeInput, context: ProbeContext): Promise<ProbeResult> {
  const parsed = parseProbe(probe);
  return attempt(parsed, context, parsed.timeoutMs);
}

/** Runs every probe (concurrently) and returns all results, in the order given. */
export function runProbes(probes: readonly ProbeInput[], context: ProbeContext): Promise<ProbeResult[]> {
  const parsed = probes.map(parseProbe);
  return Promise.all(parsed.map((probe) => attempt(probe, context, probe.timeoutMs)));
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
  let attempts = 0;
  for (;;) {
    const remaining = options.timeoutMs - (performance.now() - started);
    attempts++;
    const result = await attempt(parsed, context, Math.max(1, Math.min(parsed.timeoutMs, remaining)));
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
