/**
 * Managed files after the upload (issue 3, "What must work" 1, 3, 4 and 5): every spelling of
 * `target_model_names`, content served from whichever copy answers, delete removing every upstream
 * copy, output and error files as gateway files pinned to the batch's deployment, and `model` in
 * the create body naming the file's group.
 */
import { readFile } from 'node:fs/promises';
import type OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import {
  ENV,
  GROUP,
  MASTER_KEY,
  OTHER_GROUP,
  UPSTREAM,
  createBatch,
  jsonl,
  line,
  managedYaml,
  newClient,
  placedOn,
  seededRandom,
  snapshot,
  startFakes,
  uploadManaged,
  type Fakes,
} from './managed-support.js';

describe('managed files', () => {
  let fakes: Fakes;
  let gw: InProcessGateway;
  let client: OpenAI;
  let usId: string;

  beforeAll(async () => {
    fakes = await startFakes();
    gw = await startGateway({ yaml: managedYaml(fakes, { routerSettings: '  allowed_fails: 100\n' }), env: ENV, random: seededRandom(42) });
    client = newClient(gw.url);
    usId = gw.gateway.directory.all.find((d) => d.upstreamModel === UPSTREAM.us.model)?.id ?? '';
  });
  afterEach(async () => {
    for (const fake of fakes.all) await fake.up();
  });
  afterAll(async () => {
    await gw?.close();
    await fakes?.close();
  });

  /** The deployments holding a gateway file, from the store. */
  const holders = async (fileId: string): Promise<string[]> =>
    (await gw.gateway.store.files.copies(fileId)).map((c) => c.deploymentId).sort();
  const ALL_OF_GROUP = (): string[] => [UPSTREAM.eu.id, usId, UPSTREAM.oa.id].sort();

  const upload = async (
    content: string,
    fields: ReadonlyArray<readonly [string, string]>,
    query = '',
  ): Promise<{ status: number; body: { id: string } & Record<string, unknown> }> => {
    const form = new FormData();
    // The OpenAI SDK sends the file first and its extra fields after: do the same.
    form.append('file', new Blob([content]), 'requests.jsonl');
    form.append('purpose', 'batch');
    for (const [name, value] of fields) form.append(name, value);
    const res = await fetch(`${gw.url}/v1/files${query}`, { method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}` }, body: form });
    return { status: res.status, body: (await res.json()) as { id: string } & Record<string, unknown> };
  };

  describe('target_model_names in every spelling clients use', () => {
    const both = (): string[] => [...ALL_OF_GROUP(), UPSTREAM.oaOther.id].sort();
    const mixed = `${line(0)}\n${line(1, { model: OTHER_GROUP })}\n`;

    it.each([
      ['a plain field', [['target_model_names', GROUP]], '', jsonl(2), ALL_OF_GROUP],
      ['a comma-separated field, with spaces', [['target_model_names', ` ${GROUP} , ${OTHER_GROUP} `]], '', mixed, both],
      ['repeated target_model_names[] fields', [['target_model_names[]', GROUP], ['target_model_names[]', OTHER_GROUP]], '', mixed, both],
      ['indexed target_model_names[0], [1] fields', [['target_model_names[0]', GROUP], ['target_model_names[1]', OTHER_GROUP]], '', mixed, both],
      ['the query string', [], `?target_model_names=${encodeURIComponent(`${GROUP},${OTHER_GROUP}`)}`, mixed, both],
      ['a repeated group, counted once', [['target_model_names', `${GROUP},${GROUP}`]], '', jsonl(2), ALL_OF_GROUP],
    ] as const)('%s', async (_name, fields, query, content, expected) => {
      const res = await upload(content, fields, query);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(await holders(res.body.id)).toEqual(expected());
    });

    it('rewrites every line of every copy, whichever group each line named', async () => {
      const filesBefore = new Map(fakes.all.map((f) => [f, new Set(f.files.keys())]));
      const res = await upload(mixed, [['target_model_names', `${GROUP},${OTHER_GROUP}`]]);
      expect(res.status).toBe(200);
      const fresh = (fake: FakeUpstream) => [...fake.files.keys()].filter((id) => !(filesBefore.get(fake)?.has(id) ?? false)).map((id) => fake.fileModels(id));
      expect(fresh(fakes.eu)).toEqual([[UPSTREAM.eu.model]]);
      expect(fresh(fakes.us)).toEqual([[UPSTREAM.us.model]]);
      expect(fresh(fakes.oa).sort()).toEqual([[UPSTREAM.oaOther.model], [UPSTREAM.oa.model]]);
    });
  });

  it('serves the content from another copy when a holder is down', async () => {
    const file = await uploadManaged(client, jsonl(3));
    await fakes.eu.down();
    await fakes.us.down();
    const text = await (await client.files.content(file.id)).text();
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { custom_id: string; body: { model: string } });
    expect(lines.map((l) => l.custom_id)).toEqual(['req-0', 'req-1', 'req-2']);
    expect(lines.every((l) => l.body.model === UPSTREAM.oa.model)).toBe(true);
    await fakes.oa.down();
    await expect(client.files.content(file.id)).rejects.toMatchObject({ status: 502 });
  });

  it('deletes every upstream copy with the gateway file', async () => {
    const file = await uploadManaged(client, jsonl(2));
    const copies = await gw.gateway.store.files.copies(file.id);
    expect(copies).toHaveLength(3);
    const fakeOf = (deploymentId: string): FakeUpstream => (deploymentId === UPSTREAM.eu.id ? fakes.eu : deploymentId === usId ? fakes.us : fakes.oa);
    for (const c of copies) expect(fakeOf(c.deploymentId).files.has(c.upstreamRef)).toBe(true);

    expect(await client.files.delete(file.id)).toEqual({ id: file.id, object: 'file', deleted: true });
    for (const c of copies) {
      const fake = fakeOf(c.deploymentId);
      expect(fake.files.has(c.upstreamRef)).toBe(false);
      expect(fake.requests.filter((r) => r.method === 'DELETE' && r.path.endsWith(`/files/${c.upstreamRef}`))).toHaveLength(1);
    }
    await expect(client.files.retrieve(file.id)).rejects.toMatchObject({ status: 404 });
    expect(await gw.gateway.store.files.copies(file.id)).toEqual([]);
  });

  it('keeps the file (and the copies not yet deleted) when a holder cannot be reached, and finishes on retry', async () => {
    const file = await uploadManaged(client, jsonl(2));
    await fakes.us.down();
    await expect(client.files.delete(file.id)).rejects.toMatchObject({ status: 502 });
    expect((await client.files.retrieve(file.id)).id).toBe(file.id);
    // Whatever was deleted before the failure is no longer mapped; the unreachable copy still is.
    const left = await holders(file.id);
    expect(left).toContain(usId);
    for (const c of await gw.gateway.store.files.copies(file.id)) {
      const fake = c.deploymentId === UPSTREAM.eu.id ? fakes.eu : c.deploymentId === usId ? fakes.us : fakes.oa;
      expect(fake.files.has(c.upstreamRef)).toBe(true);
    }
    await fakes.us.up();
    expect((await client.files.delete(file.id)).deleted).toBe(true);
    expect(await holders(file.id)).toEqual([]);
  });

  it('counts a copy already gone upstream as deleted', async () => {
    const file = await uploadManaged(client, jsonl(2));
    const [first] = await gw.gateway.store.files.copies(file.id);
    const fake = first?.deploymentId === UPSTREAM.eu.id ? fakes.eu : first?.deploymentId === usId ? fakes.us : fakes.oa;
    fake.failNext('deleteFile', { status: 404 });
    expect((await client.files.delete(file.id)).deleted).toBe(true);
  });

  it('checks `model` in the create body against the file’s group', async () => {
    const file = await uploadManaged(client, jsonl(2));
    const error = await createBatch(client, file.id, OTHER_GROUP).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toMatchObject({ status: 400, type: 'invalid_request_error', code: 'model_mismatch', param: 'model' });
    expect((error as Error).message).toContain(OTHER_GROUP);
    await expect(createBatch(client, file.id, 'gpt-unknown')).rejects.toMatchObject({ status: 400, code: 'model_mismatch' });
    const ok = await createBatch(client, file.id, GROUP);
    expect(ok.input_file_id).toBe(file.id);
  });

  it('places a batch of a multi-group file only on deployments of the group `model` names', async () => {
    const file = await uploadManaged(client, `${line(0)}\n${line(1, { model: OTHER_GROUP })}\n`, [GROUP, OTHER_GROUP]);
    expect(await holders(file.id)).toHaveLength(4);
    await expect(createBatch(client, file.id)).rejects.toMatchObject({ status: 400, param: 'model' });
    const placedFor = async (model: string): Promise<Set<string>> => {
      const seen = new Set<string>();
      for (let i = 0; i < 12; i++) {
        const batch = await createBatch(client, file.id, model);
        const record = await gw.gateway.store.batches.get(batch.id);
        expect(record?.modelGroup).toBe(model);
        seen.add(record?.deploymentId ?? '');
      }
      return seen;
    };
    expect([...(await placedFor(OTHER_GROUP))]).toEqual([UPSTREAM.oaOther.id]);
    const inGroup = await placedFor(GROUP);
    expect(inGroup.has(UPSTREAM.oaOther.id)).toBe(false);
    expect(inGroup.size).toBeGreaterThan(1);
  });

  it.each(['eu', 'us', 'oa'] as const)('mints output and error files as gateway files, pinned to the batch’s deployment (%s)', async (target) => {
    const content = `${line(0)}\n${line(1, { customId: 'fail-1' })}\n${line(2)}\n`;
    const file = await uploadManaged(client, content);
    // The other holders are down while the batch is created, so it lands on the target.
    for (const fake of fakes.all) if (fake !== fakes[target]) await fake.down();
    const before = snapshot(fakes.all);
    const batch = await createBatch(client, file.id);
    const { fake: holder, upstreamId } = placedOn(fakes.all, before);
    expect(holder).toBe(fakes[target]);
    for (const fake of fakes.all) await fake.up();
    let current = batch;
    for (let i = 0; i < 10 && current.status !== 'completed'; i++) current = await client.batches.retrieve(batch.id);
    expect(current.request_counts).toEqual({ total: 3, completed: 2, failed: 1 });

    const upstream = holder.batches.get(upstreamId);
    const upstreamIds = new Set(fakes.all.flatMap((f) => [...f.files.keys()]));
    for (const [id, rawId] of [
      [current.output_file_id, upstream?.outputFileId],
      [current.error_file_id, upstream?.errorFileId],
    ] as const) {
      expect(id).toMatch(/^file-[0-9A-Za-z]{24}$/);
      expect(upstreamIds.has(id ?? '')).toBe(false);
      expect(rawId).toMatch(/^file-/);
      const copies = await gw.gateway.store.files.copies(id ?? '');
      expect(copies.map((c) => [c.upstreamRef, c.deploymentId === UPSTREAM.eu.id ? fakes.eu : c.deploymentId === usId ? fakes.us : fakes.oa])).toEqual([[rawId, holder]]);
    }
    const outputId = current.output_file_id ?? '';
    const errorId = current.error_file_id ?? '';
    expect(await client.files.retrieve(outputId)).toMatchObject({ id: outputId, object: 'file', purpose: 'batch_output', filename: `${batch.id}_output.jsonl` });
    expect(await client.files.retrieve(errorId)).toMatchObject({ id: errorId, object: 'file', purpose: 'batch_output', filename: `${batch.id}_error.jsonl` });
    const listed = (await client.files.list({ purpose: 'batch_output' })).data.map((f) => f.id);
    expect(listed).toEqual(expect.arrayContaining([outputId, errorId]));

    const outLines = (await (await client.files.content(outputId)).text()).trim().split('\n').map((l) => JSON.parse(l) as { custom_id: string });
    expect(outLines.map((l) => l.custom_id).sort()).toEqual(['req-0', 'req-2']);
    const errLines = (await (await client.files.content(errorId)).text()).trim().split('\n').map((l) => JSON.parse(l) as { custom_id: string; response: { status_code: number } });
    expect(errLines.map((l) => l.custom_id)).toEqual(['fail-1']);
    expect(errLines[0]?.response.status_code).toBeGreaterThanOrEqual(400);
    // Only the holder was asked for them.
    for (const fake of fakes.all.filter((f) => f !== holder)) {
      expect(fake.requests.filter((r) => r.path.includes(upstream?.outputFileId ?? '-') || r.path.includes(upstream?.errorFileId ?? '-'))).toEqual([]);
    }
    // Retrieving again answers the same gateway ids (minted once).
    const again = await client.batches.retrieve(batch.id);
    expect([again.output_file_id, again.error_file_id]).toEqual([outputId, errorId]);

    // Deleting the output file deletes it on the holder.
    expect((await client.files.delete(outputId)).deleted).toBe(true);
    expect(holder.files.has(upstream?.outputFileId ?? '')).toBe(false);
  });

  it('filters the batch listing by target_model_names, from the store', async () => {
    const mine = await uploadManaged(client, jsonl(1));
    const other = await uploadManaged(client, jsonl(1, { model: OTHER_GROUP }), OTHER_GROUP);
    const a = await createBatch(client, mine.id);
    const b = await createBatch(client, other.id);
    const list = async (query: string): Promise<string[]> => {
      const res = await fetch(`${gw.url}/v1/batches?limit=100${query}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { data: Array<{ id: string }> }).data.map((x) => x.id);
    };
    const groupOf = async (ids: readonly string[]): Promise<Set<string | null | undefined>> =>
      new Set(await Promise.all(ids.map(async (id) => (await gw.gateway.store.batches.get(id))?.modelGroup)));
    const inGroup = await list(`&target_model_names=${GROUP}`);
    expect(inGroup).toContain(a.id);
    expect(inGroup).not.toContain(b.id);
    expect(await groupOf(inGroup)).toEqual(new Set([GROUP]));
    const inOther = await list(`&target_model_names=${OTHER_GROUP}`);
    expect(inOther).toContain(b.id);
    expect(inOther).not.toContain(a.id);
    expect(await groupOf(inOther)).toEqual(new Set([OTHER_GROUP]));
    const both = await list(`&target_model_names=${encodeURIComponent(`${GROUP},${OTHER_GROUP}`)}`);
    expect(both).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(await list('&target_model_names=no-such-group')).toEqual([]);
  });

  it('strips a UTF-8 BOM and CRLF line ends from every copy (Azure rejects a BOM)', async () => {
    const filesBefore = new Map(fakes.all.map((f) => [f, new Set(f.files.keys())]));
    const content = `\uFEFF${line(0)}\r\n${line(1)}\r\n`;
    const file = await uploadManaged(client, content);
    // The BOM is not part of what is stored, so it is not counted either.
    expect(file.bytes).toBe(Buffer.byteLength(content) - 3);
    for (const fake of fakes.all) {
      const fresh = [...fake.files.values()].filter((f) => !(filesBefore.get(fake)?.has(f.id) ?? false));
      expect(fresh).toHaveLength(1);
      expect(fresh[0]?.lineCount).toBe(2);
      expect(fresh[0]?.invalidLines).toEqual([]);
      const bytes = await readFile(fresh[0]?.path ?? '');
      expect(bytes.includes('\r')).toBe(false);
      expect(bytes.subarray(0, 1).toString()).toBe('{');
    }
  });

  it('pages the caller’s batches from the store with after/limit and has_more', async () => {
    const file = await uploadManaged(client, jsonl(1));
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await createBatch(client, file.id)).id);
    const first = await client.batches.list({ limit: 2 });
    expect(first.data.map((b) => b.id)).toEqual([created[4], created[3]]);
    expect(first.has_more).toBe(true);
    const second = await client.batches.list({ limit: 2, after: created[3] ?? '' });
    expect(second.data.map((b) => b.id)).toEqual([created[2], created[1]]);
    // The SDK's auto-pagination walks the whole listing exactly once.
    const seen: string[] = [];
    for await (const b of client.batches.list({ limit: 3 })) seen.push(b.id);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(created));
  });
});
