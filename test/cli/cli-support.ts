/**
 * Runs the built `batchgate` binary (`node dist/bin/batchgate.js`) as a separate process, exactly as
 * users do, against a gateway the test runs in process. Processes are spawned asynchronously:
 * a synchronous spawn would block the event loop the in-process gateway answers on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BATCHGATE_BIN, REPO_ROOT } from '../helpers/gateway.js';

export const CLI = BATCHGATE_BIN;

export const MASTER_KEY = 'sk-master-cli-0123456789';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliRunning {
  readonly child: ChildProcess;
  readonly done: Promise<CliResult>;
  /** Resolves once the process has written `text` to stderr. */
  stderrIncludes(text: string): Promise<void>;
}

export interface CliOptions {
  /** Added to a minimal environment (PATH only), so the runner's OPENAI_* never leak in. */
  readonly env?: Record<string, string>;
  readonly cwd?: string;
}

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
}

export function startCli(args: readonly string[], options: CliOptions = {}): CliRunning {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...options.env },
    cwd: options.cwd ?? REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
    for (const w of waiters.filter((w) => stderr.includes(w.text))) w.resolve();
  });
  const done = new Promise<CliResult>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return {
    child,
    done,
    stderrIncludes: (text) =>
      new Promise<void>((resolve, reject) => {
        if (stderr.includes(text)) return resolve();
        waiters.push({ text, resolve });
        void done.then(() => reject(new Error(`exited before printing ${JSON.stringify(text)}; stderr:\n${stderr}`)));
      }),
  };
}

export const runCli = (args: readonly string[], options: CliOptions = {}): Promise<CliResult> => startCli(args, options).done;

/** The environment that points the CLI at a gateway, as a user's shell would. */
export const gatewayEnv = (url: string, apiKey = MASTER_KEY): Record<string, string> => ({ BATCHGATE_BASE_URL: url, BATCHGATE_API_KEY: apiKey });

const shellQuote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the CLI under a pseudo-terminal with util-linux `script` (`-q` quiet, `-f` flush, `-e`
 * its exit code, `-c` the command, typescript to /dev/null): the CLI's stdout and stderr are a
 * TTY, and everything it wrote, control characters included, comes back on script's stdout.
 */
export function runCliInPty(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const command = [process.execPath, CLI, ...args].map(shellQuote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '', TERM: 'xterm', ...options.env },
    cwd: options.cwd ?? REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** A JSONL request file of chat lines `req-<i>` with the text `content(i)`. */
export const requestLines = (n: number, model: string, content: (i: number) => string = (i) => `line ${i}`): string =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({ custom_id: `req-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content: content(i) }], max_tokens: 5 } }),
  ).join('\n') + '\n';

export const customIds = (jsonl: string): string[] =>
  jsonl
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { custom_id: string }).custom_id);

/** A config whose batches all run offline: `demo` answers itself, `local` goes to a fake chat server. */
export const cliYaml = (chatUrl: string): string => `
model_list:
  - model_name: demo
    litellm_params:
      model: openai/gpt-4o-mini
      mock_response: "Hello from batchgate!"
  - model_name: local
    litellm_params:
      model: openai/llama-3-8b
      api_base: ${chatUrl}
      api_key: sk-upstream-cli
      max_parallel_requests: 4
    model_info:
      batch_execution: gateway
general_settings:
  master_key: ${MASTER_KEY}
  executor_lease_seconds: 1
  executor_chunk_lines: 10
  executor_retry_max_wait_seconds: 0.05
`;

/** Reads a gateway file's content over HTTP with the master key (to check what the CLI uploaded). */
export async function fileText(url: string, fileId: string): Promise<string> {
  const response = await fetch(`${url}/v1/files/${fileId}/content`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
  if (!response.ok) throw new Error(`content of ${fileId}: ${response.status}`);
  return response.text();
}

export async function batchOf(url: string, id: string): Promise<{ status: string; input_file_id: string; metadata: Record<string, string> | null }> {
  const response = await fetch(`${url}/v1/batches/${id}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
  return (await response.json()) as { status: string; input_file_id: string; metadata: Record<string, string> | null };
}
