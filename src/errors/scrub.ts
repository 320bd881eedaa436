/**
 * Scrubs one string an upstream wrote before it reaches a client or the store: error `message`,
 * `type`, `param` and `code`, and a batch's `errors.data[]` fields. Upstreams name the objects,
 * buckets and sometimes the credentials they were given; a client must see none of them.
 *
 * 1. Known upstream ids are replaced by the gateway ids clients know them by (`ids`); those gateway
 *    ids, wherever they appear, are then kept as they are.
 * 2. Every token (a run of characters between whitespace, quotes, brackets and commas) that still
 *    looks like an upstream object id, a URL or bucket URI, a cloud resource name or a secret is
 *    replaced as a whole by {@link REDACTED}.
 *
 * Runs in time linear in its input: the input is cut to {@link MAX_UPSTREAM_TEXT_CHARS} (plus a
 * look-ahead, so a token cut at the limit is still judged whole enough), tokens are found by one
 * character class, and each token is judged by scans without nested or overlapping quantifiers.
 * Pure: no state, no I/O.
 */

/** An upstream object id and the gateway id clients know it by. */
export type UpstreamIdPair = readonly [upstreamRef: string, gatewayId: string];

/** What a scrubbed token becomes. Distinct from `[REDACTED]`, which stands for a deployment's own key. */
export const REDACTED = '[redacted]';

/** Longer upstream strings are cut here and end in '…': they end up in responses, logs and the store. */
export const MAX_UPSTREAM_TEXT_CHARS = 2000;

/** Characters read past the limit so that a token straddling it is judged on more than its head. */
const LOOK_AHEAD_CHARS = 256;

/** `text` with every upstream id of `ids` replaced by its gateway id; nothing else changes. */
export const replaceUpstreamIds = (text: string, ids: readonly UpstreamIdPair[]): string => {
  let out = text;
  for (const [ref, id] of ids) if (ref !== '') out = out.split(ref).join(id);
  return out;
};

// Gateway ids are swapped for one private-use character each while the rules run, so no rule can
// touch them; private-use characters already in the input are replaced first.
const PRIVATE_USE = /[\uE000-\uF8FF]/g;
const SENTINEL_BASE = 0xe000;
const MAX_SENTINELS = 0xf8ff - SENTINEL_BASE;

/** A token: anything up to whitespace, quotes, brackets, commas, pipes or a kept gateway id. */
const TOKEN = /[^\s"'`()[\]{}<>,|\uE000-\uF8FF]+/g;

/** Sentence punctuation at the end of a token is not part of it ("… file-abc." keeps its period). */
const TRAILING_PUNCTUATION = '.:;!?';

// Each rule is a literal anchor followed by at most one quantified class that nothing else follows
// (or a fixed-length pattern): a failed attempt costs O(1) or O(one run), never more.
const SCHEME = /:\/\//;
const AWS_ARN = /arn:aws/i;
const VERTEX_RESOURCE = /(?:^|[^A-Za-z0-9])projects\/[^/]+\/|batchPredictionJobs/;
const STORAGE_HOST = /\.blob\.core\.windows\.net|\.amazonaws\.com|storage\.googleapis\.com|\.openai\.azure\.com/i;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const SECRET_KEY = /(?:^|[^A-Za-z0-9])sk-[A-Za-z0-9_-]{8}|(?:AKIA|ASIA)[A-Z0-9]{16}|AIza[0-9A-Za-z_-]{35}/;
/** Upstream object ids: OpenAI/Azure files and batches, Anthropic message batches, OpenAI orgs and projects. */
const OBJECT_IDS: readonly RegExp[] = [
  /(?:^|[^A-Za-z0-9_-])file-([A-Za-z0-9]+)/g,
  /(?:^|[^A-Za-z0-9_-])(?:msg)?batch_([A-Za-z0-9-]+)/g,
  /(?:^|[^A-Za-z0-9_-])(?:org-|proj_)([A-Za-z0-9]+)/g,
];
const BEARER = /^bearer$/i;

/** The part after an id prefix looks random: long, or not a word (`file-abc123`, but not `batch_size`). */
const idLike = (suffix: string): boolean => suffix.length >= 16 || (suffix.length >= 6 && /[0-9]/.test(suffix));

const hasObjectId = (token: string): boolean =>
  OBJECT_IDS.some((rule) => {
    for (const match of token.matchAll(rule)) if (idLike(match[1] ?? '')) return true;
    return false;
  });

const isAlnum = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/** Base64 (standard and URL-safe) and hex characters. */
const isRunChar = (c: number): boolean => isAlnum(c) || c === 43 || c === 47 || c === 61 || c === 95 || c === 45;

/**
 * A base64 or hex run of at least 32 characters with letters and digits and one stretch of 16
 * letters-or-digits: a key, a signature, a hash. Hyphenated names (`gpt-4o-mini-2024-07-18-…`)
 * have no such stretch and are kept. One pass over the token.
 */
const hasLongRun = (token: string): boolean => {
  let length = 0;
  let segment = 0;
  let longestSegment = 0;
  let digits = false;
  let letters = false;
  for (let i = 0; i <= token.length; i++) {
    const c = i < token.length ? token.charCodeAt(i) : -1;
    if (c !== -1 && isRunChar(c)) {
      length++;
      if (isAlnum(c)) {
        segment++;
        if (segment > longestSegment) longestSegment = segment;
        if (isDigit(c)) digits = true;
        else letters = true;
      } else {
        segment = 0;
      }
      continue;
    }
    if (length >= 32 && digits && letters && longestSegment >= 16) return true;
    length = 0;
    segment = 0;
    longestSegment = 0;
    digits = false;
    letters = false;
  }
  return false;
};

/**
 * The providers' own public documentation, which their standard messages link to ("You can find
 * your API key at https://platform.openai.com/account/api-keys."): it says nothing about a
 * deployment. Only a plain path is allowed (no query, no credentials), and the path is still
 * judged by every other rule.
 */
const PUBLIC_DOCS_URL =
  /^https:\/\/(?:platform\.openai\.com|help\.openai\.com|learn\.microsoft\.com|aka\.ms|docs\.anthropic\.com|docs\.aws\.amazon\.com|cloud\.google\.com)(?:\/[A-Za-z0-9._~/#-]*)?$/;

const isSensitive = (token: string): boolean =>
  ((SCHEME.test(token) || STORAGE_HOST.test(token)) && !PUBLIC_DOCS_URL.test(token)) ||
  AWS_ARN.test(token) ||
  VERTEX_RESOURCE.test(token) ||
  UUID.test(token) ||
  SECRET_KEY.test(token) ||
  hasObjectId(token) ||
  hasLongRun(token);

/** Keeps the char before `end` whole when it is the first half of a surrogate pair. */
const cutAt = (text: string, end: number): string => {
  const c = text.charCodeAt(end - 1);
  return text.slice(0, c >= 0xd800 && c <= 0xdbff ? end - 1 : end);
};

/**
 * One upstream string as a client may see it: `ids` replaced by their gateway ids, and raw ids,
 * URLs, bucket URIs, resource names and secrets replaced by {@link REDACTED}.
 */
export const scrubUpstreamText = (text: string, ids: readonly UpstreamIdPair[] = []): string => {
  if (text === '') return text;
  const truncated = text.length > MAX_UPSTREAM_TEXT_CHARS;
  let out = cutAt(text, MAX_UPSTREAM_TEXT_CHARS + LOOK_AHEAD_CHARS).replace(PRIVATE_USE, '\uFFFD');

  // 1. Known ids, longest upstream id first so that one id containing another is replaced whole.
  const kept: string[] = [];
  const sentinelOf = (gatewayId: string): string => {
    let index = kept.indexOf(gatewayId);
    if (index < 0) index = kept.push(gatewayId) - 1;
    return String.fromCharCode(SENTINEL_BASE + Math.min(index, MAX_SENTINELS));
  };
  const known = ids.filter(([ref, id]) => ref !== '' && id !== '').slice(0, MAX_SENTINELS);
  for (const [ref, id] of [...known].sort((a, b) => b[0].length - a[0].length)) out = out.split(ref).join(sentinelOf(id));
  for (const [, id] of known) out = out.split(id).join(sentinelOf(id));

  // 2. Everything else that looks like an id, a location or a secret, one token at a time.
  let afterBearer = false;
  out = out.replace(TOKEN, (token) => {
    let end = token.length;
    while (end > 0 && TRAILING_PUNCTUATION.includes(token.charAt(end - 1))) end--;
    const core = token.slice(0, end);
    if (core === '') return token;
    const secretAfterBearer = afterBearer && core.length >= 8 && core.toLowerCase() !== 'redacted';
    afterBearer = BEARER.test(core);
    return secretAfterBearer || isSensitive(core) ? `${REDACTED}${token.slice(end)}` : token;
  });

  out = out.replace(PRIVATE_USE, (c) => kept[c.charCodeAt(0) - SENTINEL_BASE] ?? REDACTED);
  return truncated || out.length > MAX_UPSTREAM_TEXT_CHARS ? `${cutAt(out, MAX_UPSTREAM_TEXT_CHARS)}…` : out;
};

/** {@link scrubUpstreamText} for an optional field. */
export const scrubUpstreamField = (text: string | null, ids: readonly UpstreamIdPair[] = []): string | null =>
  text === null ? null : scrubUpstreamText(text, ids);
