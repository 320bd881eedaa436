/**
 * What stops start-up for a reason outside the config — the port is taken, PostgreSQL cannot be
 * reached or has no such database, the data dir cannot be written — said in one line that names
 * the cause and the fix, instead of a stack trace. Anything not recognised is left to surface as
 * it is (it is a bug, and its stack is then what helps).
 */

interface SystemLike {
  readonly code?: unknown;
  readonly syscall?: unknown;
  readonly address?: unknown;
  readonly port?: unknown;
  readonly hostname?: unknown;
  readonly path?: unknown;
  readonly message?: unknown;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);

/** The one line for `err`, or null when it is not a start-up condition we know. */
export function describeStartupError(err: unknown): string | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as SystemLike;
  const code = text(e.code);
  const where = [text(e.address) ?? text(e.hostname), text(e.port)].filter((x) => x !== null).join(':');
  const message = typeof e.message === 'string' ? e.message : '';
  switch (code) {
    case 'EADDRINUSE':
      return `port ${text(e.port) ?? ''} on ${text(e.address) ?? 'this host'} is already in use: stop the process using it, or start batchgate with --port <another>`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: that address is not on this machine; use --host 0.0.0.0 or one of its addresses`;
    case 'EACCES':
      if (e.syscall === 'listen') return `not allowed to listen on ${where} (ports below 1024 need privileges): use --port 4000 or another port above 1023`;
      return `cannot write ${text(e.path) ?? 'the data directory'}: permission denied; pass --data-dir <a writable directory>`;
    case 'ECONNREFUSED':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
      return `cannot reach PostgreSQL at ${where} (${code}): is it running? Check general_settings.database_url (or DATABASE_URL)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve the PostgreSQL host ${text(e.hostname) ?? where} (${code}): check general_settings.database_url (or DATABASE_URL)`;
    // PostgreSQL's own codes (SQLSTATE).
    case '3D000':
      return `PostgreSQL: ${message || 'the database does not exist'}; create it (createdb <name>) or fix general_settings.database_url`;
    case '28P01':
    case '28000':
      return `PostgreSQL refused the login: ${message}; check the user and password in general_settings.database_url`;
    case '42501':
      return `PostgreSQL: ${message}; the user in general_settings.database_url needs CREATE on the database (batchgate creates its schema and tables)`;
    default:
      return null;
  }
}
