import http from 'node:http';
import type { HttpProbe } from '../recipe/probe-schema.js';
import { describeFailure, hostPort } from './deadline.js';
import type { ProbeOutcome } from './probe-result.js';

/** Enough of a body to match a pattern against; the rest is not read. */
const BODY_LIMIT = 1024 * 1024;

interface HttpAnswer {
  status: number;
  statusText: string;
  body: string;
}

function request(probe: HttpProbe, signal: AbortSignal): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request({
      host: probe.host,
      port: probe.port,
      path: probe.path,
      method: probe.method,
      agent: false,
      signal,
      headers: { 'user-agent': 'jailwright-probe', connection: 'close' },
    });
    outgoing.once('error', (error) => reject(signal.aborted ? signal.reason : error));
    outgoing.once('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () => {
        response.destroy();
        resolve({ status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', body: Buffer.concat(chunks).toString('utf8') });
      };
      response.on('data', (chunk: Buffer) => {
        if (size >= BODY_LIMIT) return;
        chunks.push(chunk);
        size += chunk.length;
        if (size >= BODY_LIMIT) finish();
      });
      response.once('end', finish);
      response.once('error', (error) => reject(signal.aborted ? signal.reason : error));
    });
    outgoing.end();
  });
}

/** Sends one HTTP request and checks the status line (and the body for GET with expectBody). */
export async function checkHttp(probe: HttpProbe, signal: AbortSignal): Promise<ProbeOutcome> {
  const target = `${hostPort(probe.host, probe.port)} ${probe.method} ${probe.path}`;
  const bodyClause = probe.expectBody === undefined ? '' : ` with a body matching /${probe.expectBody}/`;
  const expected = `HTTP ${probe.expectStatus} from ${target}${bodyClause}`;
  let answer: HttpAnswer;
  try {
    answer = await request(probe, signal);
  } catch (error) {
    return { ok: false, expected, actual: describeFailure(error) };
  }
  const statusLine = `${answer.status} ${answer.statusText}`.trim();
  if (answer.status !== probe.expectStatus) return { ok: false, expected, actual: statusLine };
  if (probe.expectBody !== undefined && !new RegExp(probe.expectBody).test(answer.body)) {
    const excerpt = answer.body.length > 200 ? `${answer.body.slice(0, 200)}…` : answer.body;
    return { ok: false, expected, actual: `${statusLine} with body ${JSON.stringify(excerpt)}` };
  }
  return { ok: true, expected, actual: statusLine };
}
