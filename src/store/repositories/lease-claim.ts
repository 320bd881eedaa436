/**
 * The claim the leased tables share (the poll schedule, executions, execution chunks): pick the
 * candidates in claim order, then take each with a bump of its fencing token. On PostgreSQL the
 * candidates are locked `FOR UPDATE SKIP LOCKED` and taken in one update inside one transaction,
 * so concurrent workers pick disjoint rows instead of colliding; on SQLite (one writer) each is
 * taken by a compare-and-set on the token it was read with.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface LeaseClaim<Candidate, Row> {
  readonly skipLocked: boolean;
  /** The candidates in claim order; `lock` asks for `FOR UPDATE SKIP LOCKED`. */
  candidates(executor: Kysely<Database>, lock: boolean): Promise<readonly Candidate[]>;
  /** PostgreSQL: takes the locked candidates that are still claimable, in claim order. */
  takeAll(trx: Kysely<Database>, candidates: readonly Candidate[]): Promise<Row[]>;
  /** SQLite: takes one candidate when its token is still the one it was read with. */
  takeOne(db: Kysely<Database>, candidate: Candidate): Promise<Row | undefined>;
}

export async function claimLeases<Candidate, Row>(db: Kysely<Database>, claim: LeaseClaim<Candidate, Row>): Promise<Row[]> {
  if (claim.skipLocked) {
    return db.transaction().execute(async (trx) => {
      const due = await claim.candidates(trx, true);
      return due.length === 0 ? [] : claim.takeAll(trx, due);
    });
  }
  const taken: Row[] = [];
  for (const candidate of await claim.candidates(db, false)) {
    const row = await claim.takeOne(db, candidate);
    if (row !== undefined) taken.push(row);
  }
  return taken;
}
