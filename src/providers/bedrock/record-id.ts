/**
 * The gateway's line number ↔ Bedrock's `recordId` (`reference/wire.md` §5.2). Older Bedrock docs
 * ask for an "11 character alphanumeric string", so the id is `L` and ten zero-padded digits
 * (`L0000000042`): alphanumeric, fixed length, and it decodes back without a lookup table.
 */

const RECORD_ID = /^L(\d{10})$/;

export const encodeRecordId = (lineNo: number): string => `L${String(lineNo).padStart(10, '0')}`;

/** The line number of a record id we wrote; null for one we did not (Bedrock adds its own when missing). */
export const decodeRecordId = (recordId: unknown): number | null => {
  if (typeof recordId !== 'string') return null;
  const match = RECORD_ID.exec(recordId);
  if (match === null) return null;
  const lineNo = Number(match[1]);
  return lineNo >= 1 ? lineNo : null;
};
