/**
 * JSON Schema (what OpenAI `tools[].function.parameters` and `response_format.json_schema.schema`
 * hold) → Google's `Schema` (Vertex AI and the Gemini API alike), an OpenAPI 3.0 subset that
 * refuses fields it does not know (`additionalProperties`, `$schema`, `strict`, …). Pure. Kept fields are whitelisted; `$ref`s
 * into `$defs`/`definitions` are inlined (a recursive schema cannot be and is refused); type
 * unions with `null` become `nullable`; types are written in the enum's upper case.
 */
import { isRecord, type JsonRecord } from '../json.js';
import { invalidLine } from './content-parts.js';

const KEPT = new Set([
  'format',
  'title',
  'description',
  'default',
  'minItems',
  'maxItems',
  'required',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'minimum',
  'maximum',
  'propertyOrdering',
]);

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'null']);
/** Deeper than this the schema is taken for a recursive one. */
const MAX_DEPTH = 32;

interface Context {
  readonly defs: JsonRecord;
  readonly param: string;
  /** The API's name in refusals. */
  readonly upstream: string;
}

const resolveRef = (ref: string, ctx: Context): unknown => {
  const match = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref);
  const name = match?.[1];
  if (name === undefined || !Object.hasOwn(ctx.defs, name)) {
    throw invalidLine(`${ctx.param}: the schema's $ref '${ref}' does not point into its $defs`, ctx.param);
  }
  return ctx.defs[name];
};

const convert = (schema: unknown, ctx: Context, depth: number): Record<string, unknown> => {
  if (depth > MAX_DEPTH) throw invalidLine(`${ctx.param}: the schema is recursive or nested too deeply for ${ctx.upstream}`, ctx.param);
  if (!isRecord(schema)) return {};
  const ref = schema['$ref'];
  if (typeof ref === 'string') return convert(resolveRef(ref, ctx), ctx, depth + 1);

  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) if (KEPT.has(key)) out[key] = value;

  const rawType = schema['type'];
  const types = (Array.isArray(rawType) ? rawType : rawType === undefined ? [] : [rawType]).filter(
    (t): t is string => typeof t === 'string' && TYPES.has(t),
  );
  const nonNull = types.filter((t) => t !== 'null');
  if (types.includes('null')) out['nullable'] = true;
  if (nonNull.length === 1) out['type'] = (nonNull[0] ?? '').toUpperCase();
  else if (nonNull.length > 1) out['anyOf'] = nonNull.map((t) => ({ type: t.toUpperCase() }));

  const values = schema['enum'] ?? (schema['const'] === undefined ? undefined : [schema['const']]);
  // Google's enums are strings; a numeric enum is left to `type` rather than sent and refused.
  if (Array.isArray(values) && values.every((v) => typeof v === 'string')) {
    out['enum'] = values;
    if (out['type'] === undefined) out['type'] = 'STRING';
  }

  if (isRecord(schema['properties'])) {
    out['properties'] = Object.fromEntries(Object.entries(schema['properties']).map(([k, v]) => [k, convert(v, ctx, depth + 1)]));
  }
  if (schema['items'] !== undefined) out['items'] = convert(schema['items'], ctx, depth + 1);

  const union = schema['anyOf'] ?? schema['oneOf'];
  if (Array.isArray(union)) {
    const branches = union.filter((b) => !(isRecord(b) && b['type'] === 'null'));
    if (branches.length < union.length) out['nullable'] = true;
    if (branches.length === 1) Object.assign(out, convert(branches[0], ctx, depth + 1));
    else if (branches.length > 1) out['anyOf'] = branches.map((b) => convert(b, ctx, depth + 1));
  }
  return out;
};

/** Converts a whole schema; `param` names it in a refusal. */
export const toGeminiSchema = (schema: unknown, param: string, upstream: string): Record<string, unknown> => {
  const defs = isRecord(schema) ? { ...(isRecord(schema['definitions']) ? schema['definitions'] : {}), ...(isRecord(schema['$defs']) ? schema['$defs'] : {}) } : {};
  return convert(schema, { defs, param, upstream }, 0);
};
