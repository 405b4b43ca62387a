/**
 * Runs several writes atomically over the repositories `R` that a service's transactions touch. A service
 * names only those (e.g. `Transactor<{ users: UserRepo; groups: GroupRepo }>`), so it never sees the rest of
 * the store; `Store` satisfies every such Transactor, and the composition root passes it as one.
 */
export interface Transactor<R> {
  transaction<T>(work: (repos: R) => Promise<T>): Promise<T>;
}
