/**
 * Google's canonical error codes (google.rpc.Code) and the HTTP status each stands for, used to
 * read a failed request's status (Vertex's `status` text, the Gemini API's google.rpc `Status`)
 * and a failed job's `error.code`.
 */

const BY_NAME = {
  CANCELLED: 499,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  ABORTED: 409,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DATA_LOSS: 500,
  UNAUTHENTICATED: 401,
} as const satisfies Record<string, number>;

/** google.rpc.Code numbers, in order from 1. */
const BY_NUMBER = [
  'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE',
  'DATA_LOSS', 'UNAUTHENTICATED',
] as const;

export type GrpcName = keyof typeof BY_NAME;

export const grpcNameOfNumber = (code: number): GrpcName | null => BY_NUMBER[code - 1] ?? null;

/**
 * The HTTP status a free-text failure names: an HTTP code ("code": 429, "HTTP 503", "status
 * 400", "400 Bad Request") or a canonical name (RESOURCE_EXHAUSTED); 500 when it names none.
 */
export const httpStatusOfText = (text: string): number => {
  const numeric = /(?:\bcode\b["']?\s*[:=]?\s*|\bhttp\s*|\bstatus\s*(?:code\s*)?[:=]?\s*|^\s*)([1-5][0-9]{2})\b/i.exec(text);
  const status = numeric?.[1] === undefined ? null : Number(numeric[1]);
  if (status !== null && status >= 400) return status;
  for (const name of Object.keys(BY_NAME) as GrpcName[]) if (new RegExp(`\\b${name}\\b`).test(text)) return BY_NAME[name];
  return 500;
};

export const httpStatusOfGrpc = (name: GrpcName): number => BY_NAME[name];
