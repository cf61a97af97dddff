import {
  type ActiveSigningKey,
  type LoadedSigningKey,
  type PublishedJwk,
  publishedJwksAt,
  type SigningKeyStore,
  selectSigningKeys,
} from "./signing-key-store.js";

export const DEFAULT_KEY_RELOAD_INTERVAL_MS = 60_000;
export const DEFAULT_UNKNOWN_KID_COOLDOWN_MS = 5_000;

export interface SigningKeyCacheOptions {
  /** How often the keys are reloaded in the background. Default 60 s; 0 = never (only on demand). */
  reloadIntervalMs?: number;
  /** At most one reload per this many ms is triggered by an unknown kid. Default 5 s. */
  unknownKidCooldownMs?: number;
  /**
   * Run `store.ensureKeys()` before each load, so the process that holds the cache also rotates the
   * keys on schedule (the lock makes that safe from every replica). Default true.
   */
  ensureKeys?: boolean;
  /** Called with a background reload's error; the previous keys stay in use. */
  onReloadError?: (error: unknown) => void;
  /** Injected clock for tests; epoch milliseconds. */
  now?: () => number;
}

export interface SigningKeyCache {
  /** Loads the keys (rejecting if that fails) and starts the background reloads. */
  start(): Promise<void>;
  /**
   * The active key and the JWKS at this instant, from the keys in memory: a successor loaded ahead
   * of time takes over exactly at its `activatesAt`, with no reload.
   * @throws Error before `start()` has loaded the keys; NoActiveSigningKeyError if none signs now
   */
  get(): { active: ActiveSigningKey; published: PublishedJwk[] };
  /**
   * The published key with this kid; an unknown kid triggers a reload, at most once per cooldown,
   * so a flood of made-up kids cannot turn into a flood of queries.
   */
  findPublicKey(kid: string): Promise<PublishedJwk | undefined>;
  /** Reloads now; concurrent calls share one reload. */
  refresh(): Promise<void>;
  /** Stops the background reloads. */
  stop(): void;
}

/**
 * Keeps a process's signing keys in memory, reloaded on an interval and when a token names a kid it
 * does not know. The timer is unref'd: it never keeps the process alive.
 * @example
 * const keys = createSigningKeyCache(createSigningKeyStore({ db, secret, accessTokenTtlSeconds: 900 }));
 * await keys.start();
 * const { active } = keys.get(); // sign with active.privateJwk, header kid = active.kid
 * app.get("/.well-known/jwks.json", (c) => c.json({ keys: keys.get().published }));
 * // on shutdown: keys.stop();
 */
export function createSigningKeyCache(
  store: SigningKeyStore,
  options: SigningKeyCacheOptions = {},
): SigningKeyCache {
  const reloadIntervalMs = options.reloadIntervalMs ?? DEFAULT_KEY_RELOAD_INTERVAL_MS;
  const cooldownMs = options.unknownKidCooldownMs ?? DEFAULT_UNKNOWN_KID_COOLDOWN_MS;
  const ensure = options.ensureKeys ?? true;
  const now = options.now ?? Date.now;
  let keys: LoadedSigningKey[] | undefined;
  let inFlight: Promise<void> | undefined;
  let lastUnknownKidReload = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;

  const refresh = () => {
    inFlight ??= (async () => {
      try {
        if (ensure) await store.ensureKeys();
        keys = (await store.load()).keys;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };

  const publishedNow = () => (keys ? publishedJwksAt(keys, now()) : []);

  return {
    async start() {
      await refresh();
      if (reloadIntervalMs > 0 && !timer) {
        timer = setInterval(() => {
          refresh().catch((error: unknown) => options.onReloadError?.(error));
        }, reloadIntervalMs);
        timer.unref();
      }
    },

    get() {
      if (!keys) throw new Error("The signing-key cache has not been started");
      return selectSigningKeys(keys, now());
    },

    async findPublicKey(kid) {
      const known = publishedNow().find((jwk) => jwk.kid === kid);
      if (known) return known;
      const at = now();
      if (at - lastUnknownKidReload < cooldownMs) return undefined;
      lastUnknownKidReload = at;
      await refresh();
      return publishedNow().find((jwk) => jwk.kid === kid);
    },

    refresh,

    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
