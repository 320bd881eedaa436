// @ts-check
// Downloads need the Bearer key, which a plain link cannot send: the console fetches the bytes
// and hands them to the browser as a blob: URL on a temporary `<a download>`.
import { request } from './api.js';

/**
 * @param {Blob} blob
 * @param {string} filename
 */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The browser has taken its copy once the click is handled; keep the URL a while for slow ones.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Saves a file's content (`GET /v1/files/{id}/content`) under its stored name.
 * @param {string} fileId
 * @param {string} [filename]
 */
export async function downloadFile(fileId, filename) {
  const response = await request(`/v1/files/${encodeURIComponent(fileId)}/content`);
  saveBlob(await response.blob(), filename ?? `${fileId}.jsonl`);
}
