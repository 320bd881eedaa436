/**
 * Reading config.yaml. LiteLLM reads it with PyYAML; we parse YAML 1.2 (so `n:` or `on:` stay
 * keys instead of turning into booleans), with `<<` merge keys, which LiteLLM configs use to share
 * credentials, and with duplicate keys downgraded to a warning, because PyYAML accepts them
 * (the last one wins) and a config that starts LiteLLM must start batchgate.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument, type YAMLError } from 'yaml';
import { ConfigError } from './errors.js';

export interface ConfigFile {
  readonly root: unknown;
  readonly warnings: readonly string[];
}

/**
 * The first line of yaml's message ("Map keys must be unique at line 3, column 1:"). The lines
 * after it quote the source, which may hold a literal secret, so they are dropped.
 */
function describe(error: YAMLError): string {
  return (error.message.split('\n')[0] ?? error.code).replace(/:$/, '');
}

function readError(path: string, error: unknown): ConfigError {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const reason =
    code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : code || 'unreadable';
  return new ConfigError([`cannot read config file ${path}: ${reason}`], path);
}

export async function readConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw readError(path, error);
  }
  let doc = parseDocument(text, { merge: true, prettyErrors: true });
  const warnings: string[] = [];
  if (doc.errors.length > 0 && doc.errors.every((e) => e.code === 'DUPLICATE_KEY')) {
    warnings.push(...doc.errors.map((e) => `${path}: ${describe(e)}; the last value wins (as in LiteLLM)`));
    doc = parseDocument(text, { merge: true, prettyErrors: true, uniqueKeys: false });
  }
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => `${path}: invalid YAML: ${describe(e)}`),
      path,
    );
  }
  warnings.push(...doc.warnings.map((w) => `${path}: ${describe(w)}`));
  try {
    return { root: doc.toJS(), warnings };
  } catch (error) {
    // toJS fails on alias bombs (too many alias expansions) and similar malformed documents.
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : 'unreadable document';
    throw new ConfigError([`${path}: invalid YAML: ${reason}`], path);
  }
}
