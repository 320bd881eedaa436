/**
 * Validates gateway answers against OpenAI's own OpenAPI 3.1 spec (`reference/openai-openapi.yaml`,
 * openai/openai-openapi at f85dbe2). The 3 MB file is parsed once per process, and only the
 * schemas our answers use (plus what they `$ref`) are compiled, with Ajv's JSON Schema 2020-12
 * dialect, which is what OpenAPI 3.1 schemas are.
 *
 * OpenAI itself sends `null` for optional fields its schema types as plain strings or integers
 * (`expires_at`, `output_file_id`, `status_details`, …), so before validating, a `null` in a
 * property the schema does not list as required is dropped. Required properties keep their
 * `null`: the schema judges those.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse } from 'yaml';

/** The shared reference copy next to the repository, unless BATCHGATE_OPENAPI_SPEC names another. */
export const SPEC_PATH = process.env.BATCHGATE_OPENAPI_SPEC ?? resolve(import.meta.dirname, '../../../shared/reference/openai-openapi.yaml');

/** The response schemas the gateway's Files and Batches routes answer with. */
export const RESPONSE_SCHEMAS = [
  'OpenAIFile',
  'ListFilesResponse',
  'DeleteFileResponse',
  'Batch',
  'ListBatchesResponse',
  'ErrorResponse',
] as const;
export type ResponseSchema = (typeof RESPONSE_SCHEMAS)[number];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type SchemaNode = Record<string, unknown>;

const SPEC_ID = 'https://batchgate.test/openai-openapi.json';
const REF_PREFIX = '#/components/schemas/';

const isNode = (value: unknown): value is SchemaNode => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The named schemas and every schema they reach through `$ref`. */
const reachable = (all: Readonly<Record<string, unknown>>, roots: readonly string[]): Record<string, unknown> => {
  const picked: Record<string, unknown> = {};
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!isNode(value)) return;
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string' && child.startsWith(REF_PREFIX)) add(child.slice(REF_PREFIX.length));
      else visit(child);
    }
  };
  const add = (name: string): void => {
    if (name in picked) return;
    const schema = all[name];
    if (schema === undefined) throw new Error(`the spec has no components.schemas.${name}`);
    picked[name] = schema;
    visit(schema);
  };
  roots.forEach(add);
  return picked;
};

export class OpenApiValidator {
  private readonly validators = new Map<ResponseSchema, ValidateFunction>();

  private constructor(private readonly schemas: Readonly<Record<string, unknown>>) {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    // OpenAI's own formats: Unix seconds, and integer widths.
    ajv.addFormat('unixtime', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 });
    ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
    ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) });
    ajv.addSchema({ $id: SPEC_ID, components: { schemas } });
    for (const name of RESPONSE_SCHEMAS) {
      const validate = ajv.getSchema(`${SPEC_ID}${REF_PREFIX}${name}`);
      if (validate === undefined) throw new Error(`could not compile ${name}`);
      this.validators.set(name, validate);
    }
  }

  /** Reads and compiles the spec; call once per test file. */
  static load(path = SPEC_PATH): OpenApiValidator {
    const doc: unknown = parse(readFileSync(path, 'utf8'));
    const components = isNode(doc) && isNode(doc.components) ? doc.components : undefined;
    if (components === undefined || !isNode(components.schemas)) throw new Error(`${path} has no components.schemas`);
    return new OpenApiValidator(reachable(components.schemas, RESPONSE_SCHEMAS));
  }

  /** The problems of `value` against the schema (after dropping null optionals); [] when valid. */
  problems(name: ResponseSchema, value: unknown): string[] {
    const validate = this.validators.get(name);
    if (validate === undefined) throw new Error(`no validator for ${name}`);
    const cleaned = this.dropNullOptionals({ $ref: `${REF_PREFIX}${name}` }, value as Json);
    if (validate(cleaned)) return [];
    return (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  }

  private resolve(schema: unknown): SchemaNode | undefined {
    let node = schema;
    for (let hops = 0; isNode(node) && typeof node.$ref === 'string' && hops < 20; hops++) {
      node = this.schemas[node.$ref.slice(REF_PREFIX.length)];
    }
    return isNode(node) ? node : undefined;
  }

  /** Copies `value`, leaving out null properties the schema does not require, at every depth. */
  private dropNullOptionals(schema: unknown, value: Json): Json {
    const node = this.resolve(schema);
    if (node === undefined) return value;
    if (Array.isArray(value)) return value.map((item) => this.dropNullOptionals(node.items, item));
    if (value === null || typeof value !== 'object') return value;
    const properties = isNode(node.properties) ? node.properties : {};
    const required = new Set(Array.isArray(node.required) ? node.required : []);
    const out: Record<string, Json> = {};
    for (const [key, child] of Object.entries(value)) {
      if (child === null && !required.has(key)) continue;
      out[key] = this.dropNullOptionals(properties[key], child);
    }
    return out;
  }
}
