/** `--probe` values: a shorthand (`tcp:8080`, `http:8080/`, `http:127.0.0.1:8080/index.html`, `dns:www.example.test@53`) or a YAML flow mapping in recipe syntax. */
import { parse } from 'yaml';
import { ExitCode, JailwrightError } from '../errors.js';
import type { ProbeInput } from '../recipe/probe-schema.js';

/** Reads one `--probe` value into a probe in recipe syntax (validated later by the probe runner). */
export function parseProbeShorthand(value: string): ProbeInput {
  const text = value.trim();
  if (text.startsWith('{')) return parse(text) as ProbeInput;
  const match = /^(http|tcp|smtp|dns):(.*)$/.exec(text);
  if (!match) {
    throw new JailwrightError(`--probe ${JSON.stringify(value)}: write tcp:PORT, http:[HOST:]PORT[/PATH], smtp:PORT, dns:NAME[@PORT] or a recipe probe such as "{type: http, port: 8080}"`, {
      exitCode: ExitCode.badInput,
    });
  }
  const type = match[1] as 'http' | 'tcp' | 'smtp' | 'dns';
  const rest = match[2] as string;
  if (type === 'dns') {
    const [name, port] = rest.split('@');
    return { type, name: name as string, ...(port ? { port: Number(port) } : {}) } as ProbeInput;
  }
  const address = /^(?:(\[[^\]]+\]|[^:/]+):)?(\d+)(\/.*)?$/.exec(rest);
  if (!address) throw new JailwrightError(`--probe ${JSON.stringify(value)}: expected [HOST:]PORT${type === 'http' ? '[/PATH]' : ''} after "${type}:"`, { exitCode: ExitCode.badInput });
  const host = address[1]?.replace(/^\[|\]$/g, '');
  const probe: Record<string, unknown> = { type, port: Number(address[2]) };
  if (host) probe.host = host;
  if (type === 'http' && address[3]) probe.path = address[3];
  return probe as ProbeInput;
}
