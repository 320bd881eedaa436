/**
 * `openResults` of the Vertex adapter: the job's output directory (`outputInfo.
 * gcsOutputDirectory`) is listed and every `*.jsonl` in it read line by line (Gemini jobs write
 * one `predictions.jsonl`, the generic format `predictions_0001.jsonl`…; wire.md §4.5), each line
 * converted by `result-translation.ts`. Memory holds one page of names and one line.
 */
import { createInterface } from 'node:readline';
import type { CallOptions, UpstreamResultLine } from '../../domain/ports/provider-adapter.js';
import { toSeconds, type Clock } from '../../domain/ports/clock.js';
import { downloadObject, listObjects, parseGsUri } from './gcs.js';
import type { GoogleApi } from './google-http.js';
import { outputDirectoryOf, shortModel } from './job-map.js';
import { getJob } from './jobs.js';
import { toResultLine } from './result-translation.js';
import { isRecord, stringAt } from '../shared/json.js';

const LIST_PAGE_SIZE = 1000;

export async function* openResults(api: GoogleApi, ref: string, clock: Clock, opts: CallOptions): AsyncGenerator<UpstreamResultLine> {
  const job = await getJob(api, ref, opts);
  const directory = outputDirectoryOf(job);
  // A job that failed or was cancelled before it wrote anything has no directory: no results.
  if (directory === null) return;
  const parsed = parseGsUri(directory.endsWith('/') ? directory : `${directory}/`);
  if (parsed === null || parsed.bucket !== api.config.bucket) throw api.http.malformed('a job output directory outside the deployment bucket');
  const model = shortModel(isRecord(job) ? stringAt(job, 'model') : null) ?? '';

  let pageToken: string | null = null;
  do {
    const page = await listObjects(api, parsed.name, pageToken, LIST_PAGE_SIZE, opts);
    const files = page.items.filter((o) => o.name.endsWith('.jsonl')).sort((a, b) => a.name.localeCompare(b.name));
    for (const file of files) {
      const response = await downloadObject(api, file.name, 'the output object', opts);
      const lines = createInterface({ input: response.body, crlfDelay: Infinity });
      try {
        for await (const text of lines) {
          if (text.trim() === '') continue;
          const result = toResultLine(text, { model, nowSeconds: toSeconds(clock.now()), clean: (t) => api.clean(t) });
          if (result !== null) yield result;
        }
      } finally {
        lines.close();
        response.body.destroy();
      }
    }
    pageToken = page.nextPageToken;
  } while (pageToken !== null);
}
