/**
 * A bounded, least-recently-used map from a token string to what verifying it produced. An entry lives
 * until the token's `exp` (by the caller's clock); past that, the token is verified again in full, leeway
 * included. Caching is sound because equal strings carry equal signatures, and because whoever accepts a
 * token still checks the user it names on every request.
 */
export interface VerifiedTokenCache<T> {
  get(token: string, nowMs: number): T | undefined;
  set(token: string, value: T, expiresAtMs: number): void;
  readonly size: number;
}

export function createVerifiedTokenCache<T>(maxEntries: number): VerifiedTokenCache<T> {
  const entries = new Map<string, { value: T; expiresAtMs: number }>();
  return {
    get(token, nowMs) {
      const entry = entries.get(token);
      if (!entry) return undefined;
      entries.delete(token);
      if (entry.expiresAtMs <= nowMs) return undefined;
      // Re-inserting moves the entry to the young end of the Map's insertion order.
      entries.set(token, entry);
      return entry.value;
    },
    set(token, value, expiresAtMs) {
      if (maxEntries <= 0) return;
      entries.delete(token);
      entries.set(token, { value, expiresAtMs });
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
    },
    get size() {
      return entries.size;
    },
  };
}
