// @ts-check
// "Retry failed lines": a new batch of exactly the lines of a finished batch that did not
// succeed, as `batchgate batch retry-failed` makes one — through the same public API calls, so
// the console adds no route. The error file says which custom_ids failed; the input file gives
// those lines, whose `body.model` is set back to the model group (a managed input is served as
// one deployment's copy, with that deployment's upstream model in it); the lines go up as a
// managed upload to the group and the new batch names the one it retries in its metadata.
import { json, request } from './api.js';

/** @typedef {import('./types.js').Batch} Batch */

/**
 * @param {Batch} batch a finished batch with an error file
 * @param {string} group its model group
 * @returns {Promise<Batch>} the new batch
 */
export async function retryFailed(batch, group) {
  if (batch.error_file_id === null || batch.error_file_id === undefined) throw new Error('This batch has no failed lines.');
  const errors = await (await request(`/v1/files/${encodeURIComponent(batch.error_file_id)}/content`)).text();
  const failed = new Set(
    errors
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => /** @type {{ custom_id: string }} */ (JSON.parse(l)).custom_id),
  );
  const input = await (await request(`/v1/files/${encodeURIComponent(batch.input_file_id)}/content`)).text();
  const lines = [];
  for (const text of input.split('\n')) {
    if (text.trim() === '') continue;
    const line = /** @type {{ custom_id: string, body: Record<string, unknown> }} */ (JSON.parse(text));
    if (!failed.has(line.custom_id)) continue;
    lines.push(JSON.stringify({ ...line, body: { ...line.body, model: group } }));
  }
  if (lines.length === 0) throw new Error('None of the failed lines were found in the input file.');
  const form = new FormData();
  form.set('purpose', 'batch');
  form.set('target_model_names', group);
  form.set('file', new Blob([`${lines.join('\n')}\n`], { type: 'application/jsonl' }), `retry-${batch.id}.jsonl`);
  const file = /** @type {{ id: string }} */ (await (await request('/v1/files', { method: 'POST', form })).json());
  return /** @type {Batch} */ (
    await json('/v1/batches', {
      method: 'POST',
      json: {
        input_file_id: file.id,
        endpoint: batch.endpoint,
        completion_window: batch.completion_window,
        model: group,
        metadata: { retry_of: batch.id, batchgate_model_group: group },
      },
    })
  );
}
