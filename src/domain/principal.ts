/**
 * Who is calling. Built by the auth layer from the master key or a virtual key; every object the
 * caller creates records its owner from it, and every read is scoped by it.
 */
export interface Principal {
  /** The master key (or no auth configured): sees and may do everything. */
  readonly isAdmin: boolean;
  /** Hash of the virtual key used, or null for the master key / no auth. */
  readonly keyHash: string | null;
  readonly userId: string | null;
  readonly teamId: string | null;
  /** Model groups the caller may use; null means every group. */
  readonly models: readonly string[] | null;
}

/** What is stored with every file and batch about its creator. */
export interface Owner {
  readonly keyHash: string | null;
  readonly userId: string | null;
  readonly teamId: string | null;
}

export const ownerOf = (p: Principal): Owner => ({ keyHash: p.keyHash, userId: p.userId, teamId: p.teamId });

/** The admin principal used when no master key is configured, and by internal jobs. */
export const ADMIN_PRINCIPAL: Principal = {
  isAdmin: true,
  keyHash: null,
  userId: null,
  teamId: null,
  models: null,
};

/**
 * Which stored objects a principal may see: everything (admin), else what its key created plus,
 * when the key has a team, what its team created.
 */
export type OwnerScope = { readonly all: true } | { readonly all: false; readonly keyHash: string | null; readonly teamId: string | null };

export const scopeOf = (p: Principal): OwnerScope =>
  p.isAdmin ? { all: true } : { all: false, keyHash: p.keyHash, teamId: p.teamId };

export const canSee = (scope: OwnerScope, owner: Owner): boolean => {
  if (scope.all) return true;
  if (scope.keyHash !== null && owner.keyHash === scope.keyHash) return true;
  return scope.teamId !== null && owner.teamId === scope.teamId;
};
