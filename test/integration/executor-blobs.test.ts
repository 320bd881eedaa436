/**
 * The same executed-batch flow over each blob store (issue 9, "How it is shown"): the filesystem
 * under the data dir, and an S3-compatible bucket (the fake verifies every SigV4 signature). The
 * input copy, the output and the error file are blobs there, and deleting a file deletes its blob.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeChat, type FakeChat } from '../fakes/fake-chat.js';
import { FakeS3 } from '../fakes/fake-s3.js';
import { startGateway, type InProcessGateway } from '../helpers/gateway.js';
import { chatLines, client, contentOf, expectEachOnce, expectEchoes, executedYaml, linesOf, submit, waitFor } from './executor-support.js';

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length + 1));
}

interface Blobs {
  readonly yaml: string;
  keys(gw: InProcessGateway): Promise<string[]>;
  close(): Promise<void>;
}

const stores: Record<string, () => Promise<Blobs>> = {
  filesystem: async () => ({
    yaml: '',
    keys: (gw) => filesUnder(join(gw.dataDir, 'blobs')),
    close: async () => {},
  }),
  s3: async () => {
    const s3 = await new FakeS3({ bucket: 'exec-blobs' }).start();
    return {
      yaml: `  blob_storage:
    type: s3
    endpoint: ${s3.endpoint}
    bucket: ${s3.bucket}
    region: ${s3.region}
    access_key_id: ${s3.accessKeyId}
    secret_access_key: ${s3.secretAccessKey}
`,
      keys: async () => {
        expect(s3.stats().signatureFailures).toBe(0);
        return [...s3.objects.keys()];
      },
      close: () => s3.close(),
    };
  },
};

describe.each(Object.keys(stores))('an executed batch over the %s blob store', (name) => {
  let chat: FakeChat;
  let blobs: Blobs;
  let gw: InProcessGateway | undefined;

  beforeEach(async () => {
    chat = await startFakeChat({ apiKey: 'sk-upstream' });
    blobs = await stores[name]!();
  });
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
    await chat.close();
    await blobs.close();
  });

  it('keeps the input, output and error files as blobs and serves them', async () => {
    chat.setFault({ when: (r) => JSON.stringify(r.body).includes(`"${contentOf(3)}"`), action: { status: 422 } });
    gw = await startGateway({ yaml: executedYaml(chat.url, blobs.yaml) });
    const openai = client(gw.url);
    const created = await submit(openai, chatLines(30));
    const { batch } = await waitFor(openai, created.id);
    expect(batch).toMatchObject({ status: 'completed', request_counts: { total: 30, completed: 29, failed: 1 } });
    const output = await linesOf(openai, batch.output_file_id);
    const errors = await linesOf(openai, batch.error_file_id);
    expectEachOnce(output, errors, 30);
    expectEchoes(output);
    expect(errors[0]).toMatchObject({ custom_id: 'req-3', response: { status_code: 422 }, error: null });

    const keys = await blobs.keys(gw);
    expect(keys.filter((k) => k.includes('inputs/'))).toHaveLength(1);
    expect(keys.filter((k) => k.includes('outputs/'))).toHaveLength(2);
    // The output file is a gateway file like any other: deleting it removes its blob.
    await openai.files.delete(batch.output_file_id ?? '');
    expect((await blobs.keys(gw)).filter((k) => k.includes('outputs/'))).toHaveLength(1);
    await expect(openai.files.content(batch.output_file_id ?? '')).rejects.toMatchObject({ status: 404 });
  });
});
