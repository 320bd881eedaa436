/**
 * The built-in price table: per-token list prices of the batch-capable OpenAI / Azure OpenAI,
 * Anthropic and Gemini models, read from the one data file `prices.json` (dated by its `as_of`).
 * Pure: the file is validated once when this module loads, and a malformed file fails loudly.
 *
 * Lookup of a model name, after normalising it (lower case, provider prefix such as `azure/` or
 * `vertex_ai/` dropped — everything up to the last `/`; a Bedrock id such as
 * `us.anthropic.claude-3-5-haiku-20241022-v1:0` read as Anthropic's model):
 *  1. the exact key (or an alias);
 *  2. the name with a dated or numbered version suffix stripped (`gpt-4o-mini-2024-07-18`,
 *     `claude-sonnet-4-5-20250929`, `claude-opus-4-1@20250805`, `gemini-2.0-flash-001`,
 *     `gemini-2.5-flash-preview-09-2025`);
 *  3. the longest known key that is a prefix of that name at a `-`, `:` or `@` boundary — but
 *     never when what follows starts with a digit (`claude-opus-4-9` is a new model, not a
 *     variant of `claude-opus-4`) or names a different price class (`-mini`, `-pro`, `-audio`,
 *     …), so an unknown model is reported unknown rather than priced as another one.
 */
import rawPrices from './prices.json' with { type: 'json' };

export type PriceProvider = 'openai' | 'anthropic' | 'gemini';

/** USD per token. `null` cached prices mean "no cached-input price listed": bill at input price. */
export interface ModelPrice {
  readonly provider: PriceProvider;
  readonly inputPerToken: number;
  readonly cachedInputPerToken: number | null;
  readonly outputPerToken: number;
  readonly batchInputPerToken: number;
  readonly batchCachedInputPerToken: number | null;
  readonly batchOutputPerToken: number;
}

export type PriceMatchKind = 'exact' | 'dated-suffix' | 'prefix';

export interface PriceMatch {
  /** The table key that matched (an alias resolves to its model's key). */
  readonly key: string;
  readonly matchedBy: PriceMatchKind;
  readonly price: ModelPrice;
}

export interface PriceTable {
  /** The date the prices were read, `YYYY-MM-DD`. */
  readonly asOf: string;
  /** Every key and alias, normalised. */
  readonly keys: readonly string[];
  lookup(model: string): PriceMatch | null;
}

const PROVIDERS: readonly PriceProvider[] = ['openai', 'anthropic', 'gemini'];

/**
 * Version suffixes that never change the price of a model: OpenAI dates (`-2024-07-18`),
 * Anthropic dates (`-20250929`, Vertex `@20250929`), Gemini preview dates (`-09-2025`) and
 * Gemini stable version numbers (`-001`).
 */
const VERSION_SUFFIX = /(?:-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8}|-\d{2}-\d{4}|-\d{3})$/;

/** Words that, right after a known key, name a model of another price class. */
const OTHER_PRICE_CLASS = new Set([
  'mini', 'nano', 'pro', 'lite', 'flash', 'turbo', 'max', 'ultra', 'large', 'small',
  'audio', 'realtime', 'tts', 'transcribe', 'image', 'live', 'search', 'embedding', 'deep', 'research',
]);

/** Lower case, and everything up to the last `/` (a provider or route prefix) dropped. */
export function normaliseModelName(model: string): string {
  const name = model.trim().toLowerCase();
  const slash = name.lastIndexOf('/');
  return bedrockModelName(slash === -1 ? name : name.slice(slash + 1));
}

/**
 * Bedrock names a model by provider, an optional cross-region inference profile and a version:
 * `us.anthropic.claude-3-5-haiku-20241022-v1:0` is Anthropic's `claude-3-5-haiku-20241022`.
 */
const BEDROCK_PROFILE = /^(?:us|eu|apac|global|us-gov|jp|au|ca)\./;
const BEDROCK_ANTHROPIC = /^anthropic\.(claude-.+?)(?:-v\d+(?::\d+)?)?$/;
function bedrockModelName(name: string): string {
  const m = BEDROCK_ANTHROPIC.exec(name.replace(BEDROCK_PROFILE, ''));
  return m?.[1] ?? name;
}

/** The name without one trailing date / version suffix, or the name itself. */
export function stripVersionSuffix(name: string): string {
  return name.replace(VERSION_SUFFIX, '');
}

/** Whether `rest` (what follows a known key in a name) may be a priced-alike variant of it. */
const isVariantTail = (rest: string): boolean => {
  const sep = rest[0];
  if (sep !== '-' && sep !== ':' && sep !== '@') return false;
  const words = rest.slice(1).split(/[-:@._]/);
  const first = words[0] ?? '';
  if (first === '' || /^\d/.test(first)) return false;
  return !words.some((w) => OTHER_PRICE_CLASS.has(w));
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const price = (where: string, v: unknown): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`prices.json: ${where} must be a non-negative number`);
  return v;
};
const optionalPrice = (where: string, v: unknown): number | null => (v === null || v === undefined ? null : price(where, v));

/** Builds a table from data in the shape of `prices.json`; throws on a malformed document. */
export function createPriceTable(data: unknown): PriceTable {
  if (!isObject(data)) throw new Error('prices.json: the document must be an object');
  const asOf = data['as_of'];
  if (typeof asOf !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(asOf)) throw new Error('prices.json: "as_of" must be YYYY-MM-DD');
  if (data['unit'] !== 'USD per token') throw new Error('prices.json: "unit" must be "USD per token"');
  const providers = data['providers'];
  if (!isObject(providers)) throw new Error('prices.json: "providers" must be an object');

  const byKey = new Map<string, { key: string; price: ModelPrice }>();
  const add = (name: string, entry: { key: string; price: ModelPrice }): void => {
    const normal = normaliseModelName(name);
    if (normal !== name) throw new Error(`prices.json: key "${name}" must be lower case without a provider prefix`);
    if (byKey.has(normal)) throw new Error(`prices.json: "${name}" is listed twice`);
    byKey.set(normal, entry);
  };
  for (const [provider, group] of Object.entries(providers)) {
    if (!PROVIDERS.includes(provider as PriceProvider)) throw new Error(`prices.json: unknown provider "${provider}"`);
    if (!isObject(group) || !isObject(group['models'])) throw new Error(`prices.json: providers.${provider}.models must be an object`);
    for (const [key, m] of Object.entries(group['models'])) {
      const at = `providers.${provider}.models.${key}`;
      if (!isObject(m)) throw new Error(`prices.json: ${at} must be an object`);
      const entry = {
        key,
        price: Object.freeze({
          provider: provider as PriceProvider,
          inputPerToken: price(`${at}.input`, m['input']),
          cachedInputPerToken: optionalPrice(`${at}.cached_input`, m['cached_input']),
          outputPerToken: price(`${at}.output`, m['output']),
          batchInputPerToken: price(`${at}.batch_input`, m['batch_input']),
          batchCachedInputPerToken: optionalPrice(`${at}.batch_cached_input`, m['batch_cached_input']),
          batchOutputPerToken: price(`${at}.batch_output`, m['batch_output']),
        }),
      };
      add(key, entry);
      const aliases = m['aliases'];
      if (aliases !== undefined) {
        if (!Array.isArray(aliases) || !aliases.every((a): a is string => typeof a === 'string')) {
          throw new Error(`prices.json: ${at}.aliases must be a list of names`);
        }
        for (const alias of aliases) add(alias, entry);
      }
    }
  }

  // Longest first, so the first prefix that fits is the longest one.
  const byLength = [...byKey.keys()].sort((a, b) => b.length - a.length);
  const found = (name: string, matchedBy: PriceMatchKind): PriceMatch | null => {
    const hit = byKey.get(name);
    return hit ? { key: hit.key, matchedBy, price: hit.price } : null;
  };

  return Object.freeze({
    asOf,
    keys: Object.freeze([...byKey.keys()]),
    lookup(model: string): PriceMatch | null {
      const name = normaliseModelName(model);
      if (name === '') return null;
      const exact = found(name, 'exact');
      if (exact) return exact;
      const base = stripVersionSuffix(name);
      if (base !== name) {
        const dated = found(base, 'dated-suffix');
        if (dated) return dated;
      }
      for (const key of byLength) {
        if (key.length < base.length && base.startsWith(key) && isVariantTail(base.slice(key.length))) {
          return found(key, 'prefix');
        }
      }
      return null;
    },
  });
}

/** The table shipped with batchgate (`prices.json`). */
export const builtInPriceTable: PriceTable = createPriceTable(rawPrices);
