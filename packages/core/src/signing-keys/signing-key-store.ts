import { inArray, lte, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { isConnectionFailure } from "../db/database-errors.js";
import { type Ed25519PublicJwk, type SigningKeyRow, signingKeys } from "../db/schema.js";
import { DatabaseUnavailableError, DomainError, NoActiveSigningKeyError } from "../errors.js";
import {
  createSigningKeySealer,
  type Ed25519PrivateJwk,
  generateSigningKey,
  type SigningKeySealer,
} from "./signing-key-crypto.js";

export const DEFAULT_KEY_ROTATION_DAYS = 30;
export const DEFAULT_KEY_PUBLISH_AHEAD_SECONDS = 3600;
export const DEFAULT_RETIRED_KEY_LEEWAY_SECONDS = 60;

/** Arbitrary constant: every rotation step, in every process, takes this advisory lock, so they take turns. */
const SIGNING_KEY_LOCK_KEY = 727_274_002;
const DAY_MS = 24 * 3600 * 1000;

export interface SigningKeyStoreOptions {
  db: Db;
  /**
   * Secret from which the key that encrypts private keys at rest is derived (HKDF-SHA256); the api
   * passes KEY_ENCRYPTION_SECRET, or its service secret. Changing it makes stored keys undecryptable
   * (`SigningKeyDecryptionError`): rotate with `retireOldImmediately` after changing it.
   */
  secret: string;
  /** Days a key signs before its successor takes over. Default 30. */
  rotationDays?: number;
  /** Seconds a new key is published before it signs: at least the JWKS `max-age`. Default 3600. */
  publishAheadSeconds?: number;
  /** Lifetime of the access tokens the keys sign: a retired key stays published this long (plus leeway). */
  accessTokenTtlSeconds: number;
  /** Added to the access-token lifetime before a retired key leaves the JWKS (verifiers' clock skew). Default 60. */
  retiredKeyLeewaySeconds?: number;
  /** Injected clock for tests; epoch milliseconds. */
  now?: () => number;
}

/** One entry of a JWKS (RFC 7517) as served at `/.well-known/jwks.json`: public parts only. */
export interface PublishedJwk extends Ed25519PublicJwk {
  kid: string;
  alg: "EdDSA";
  use: "sig";
}

/** The key that signs now, decrypted in memory. */
export interface ActiveSigningKey {
  kid: string;
  algorithm: "EdDSA";
  privateJwk: Ed25519PrivateJwk;
  publicJwk: PublishedJwk;
}

/** A stored key as loaded: the private part only while the key may still sign. */
export interface LoadedSigningKey {
  kid: string;
  publicJwk: PublishedJwk;
  privateJwk: Ed25519PrivateJwk | null;
  activatesAt: Date;
  retiresAt: Date | null;
  deleteAfter: Date | null;
}

export interface SigningKeySet {
  active: ActiveSigningKey;
  /** The JWKS: every key not yet past `deleteAfter`, newest first (upcoming, active, retired). */
  published: PublishedJwk[];
  /** What `active` and `published` were chosen from; `selectSigningKeys(keys, later)` answers for a later instant. */
  keys: LoadedSigningKey[];
}

export interface EnsureKeysResult {
  /** Kids of keys created by this call (the first key, or the next one). */
  created: string[];
  /** Kids of retired keys deleted because their last token has expired. */
  deleted: string[];
}

export interface RotateNowResult {
  /** The new key, signing from now on. */
  kid: string;
  /** Keys that stopped signing now and stay published until their tokens have expired. */
  retired: string[];
  /** Keys deleted at once: upcoming keys that never signed, and with `retireOldImmediately` every old key. */
  removed: string[];
}

export interface SigningKeyStore {
  /**
   * Makes sure a key signs now and that its successor exists at least `publishAheadSeconds` before it
   * takes over; deletes keys whose last token has expired. Idempotent, and safe from every replica at
   * once: the step runs under a transaction-scoped advisory lock, so racing callers create one key.
   */
  ensureKeys(): Promise<EnsureKeysResult>;
  /**
   * The active key (decrypted) and the published public keys.
   * @throws NoActiveSigningKeyError when no key signs now
   * @throws SigningKeyDecryptionError when the secret is wrong or a stored key was altered
   */
  load(): Promise<SigningKeySet>;
  /**
   * Creates a key that signs from now on. The old active key retires now and stays published until
   * its tokens have expired, or, with `retireOldImmediately` (a suspected leak), every other key is
   * deleted at once, so tokens they signed stop verifying wherever the JWKS is re-read.
   */
  rotateNow(options?: { retireOldImmediately?: boolean }): Promise<RotateNowResult>;
  /** Deletes keys past `deleteAfter`; returns their kids. For the maintenance sweep. */
  deleteExpired(): Promise<string[]>;
}

/**
 * Ed25519 signing keys for access tokens, kept in the database and rotated automatically. Every
 * replica runs `ensureKeys()` (at start-up and periodically, e.g. through `createSigningKeyCache`);
 * the database lock makes them agree on one key schedule, and the active key is a pure function of
 * the rows and the clock (`selectSigningKeys`), so every replica signs with the same key.
 * @example
 * const keys = createSigningKeyStore({ db, secret: config.keyEncryptionSecret, accessTokenTtlSeconds: 900 });
 * await keys.ensureKeys();
 * const { active, published } = await keys.load(); // sign with active.privateJwk, serve { keys: published }
 */
export function createSigningKeyStore(options: SigningKeyStoreOptions): SigningKeyStore {
  const { db } = options;
  const sealer = createSigningKeySealer(options.secret);
  const rotationMs = (options.rotationDays ?? DEFAULT_KEY_ROTATION_DAYS) * DAY_MS;
  const publishAheadMs = (options.publishAheadSeconds ?? DEFAULT_KEY_PUBLISH_AHEAD_SECONDS) * 1000;
  const retiredPublishedMs =
    (options.accessTokenTtlSeconds +
      (options.retiredKeyLeewaySeconds ?? DEFAULT_RETIRED_KEY_LEEWAY_SECONDS)) *
    1000;
  const now = options.now ?? Date.now;
  if (!(rotationMs > publishAheadMs)) {
    throw new RangeError("rotationDays must be longer than publishAheadSeconds");
  }

  /** Runs `work` in a transaction holding the rotation lock, on the rows as they are once it is held. */
  const underLock = <T>(work: (tx: Db, rows: SigningKeyRow[], at: number) => Promise<T>) =>
    guard(() =>
      db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${SIGNING_KEY_LOCK_KEY})`);
        const rows = await tx.select().from(signingKeys);
        return work(tx, rows, now());
      }),
    );

  const insertKey = async (tx: Db, activatesAt: number): Promise<string> => {
    const key = generateSigningKey();
    await tx.insert(signingKeys).values({
      kid: key.kid,
      algorithm: "EdDSA",
      publicJwk: key.publicJwk,
      privateKeyCiphertext: sealer.seal(key.kid, key.privateJwk),
      activatesAt: new Date(activatesAt),
    });
    return key.kid;
  };

  const deleteKids = async (tx: Db, kids: string[]) => {
    if (kids.length > 0) await tx.delete(signingKeys).where(inArray(signingKeys.kid, kids));
  };

  return {
    ensureKeys: () =>
      underLock(async (tx, rows, at) => {
        const deleted = rows.filter((row) => isExpired(row, at)).map((row) => row.kid);
        await deleteKids(tx, deleted);
        const live = rows.filter((row) => !isExpired(row, at));
        const created: string[] = [];

        let active: KeyTimes | undefined = pickActive(live, at);
        const upcoming = live
          .filter((row) => row.activatesAt.getTime() > at)
          .sort((a, b) => a.activatesAt.getTime() - b.activatesAt.getTime());
        if (!active) {
          const next = upcoming.shift();
          if (next) {
            // Already published, so it may sign at once; better than a key nobody has fetched yet.
            await tx
              .update(signingKeys)
              .set({ activatesAt: new Date(at) })
              .where(inArray(signingKeys.kid, [next.kid]));
            active = { ...next, activatesAt: new Date(at) };
          } else {
            const kid = await insertKey(tx, at);
            created.push(kid);
            active = { kid, activatesAt: new Date(at), retiresAt: null, deleteAfter: null };
          }
        }

        const dueAt = active.activatesAt.getTime() + rotationMs;
        if (upcoming.length === 0 && at >= dueAt - publishAheadMs) {
          // After a long outage the successor still gets its full publish-ahead window; the old key
          // signs a little longer rather than a new key signing before verifiers can know it.
          const activatesAt = Math.max(dueAt, at + publishAheadMs);
          created.push(await insertKey(tx, activatesAt));
          await tx
            .update(signingKeys)
            .set({
              retiresAt: new Date(activatesAt),
              deleteAfter: new Date(activatesAt + retiredPublishedMs),
            })
            .where(inArray(signingKeys.kid, [active.kid]));
        }
        return { created, deleted };
      }),

    async load() {
      const rows = await guard(() => db.select().from(signingKeys));
      const at = now();
      const keys = rows
        .filter((row) => !isExpired(row, at))
        .map((row) => toLoadedKey(row, sealer, at))
        .sort(newestFirst);
      return { ...selectSigningKeys(keys, at), keys };
    },

    rotateNow: ({ retireOldImmediately = false } = {}) =>
      underLock(async (tx, rows, at) => {
        const neverSigned = rows.filter((row) => row.activatesAt.getTime() > at);
        const signing = rows.filter((row) => signsAt(row, at));
        const removed = retireOldImmediately ? rows.map((row) => row.kid) : neverSigned.map((row) => row.kid);
        await deleteKids(tx, removed);
        const retired = retireOldImmediately ? [] : signing.map((row) => row.kid);
        if (retired.length > 0) {
          await tx
            .update(signingKeys)
            .set({ retiresAt: new Date(at), deleteAfter: new Date(at + retiredPublishedMs) })
            .where(inArray(signingKeys.kid, retired));
        }
        const kid = await insertKey(tx, at);
        return { kid, retired, removed };
      }),

    deleteExpired: () =>
      guard(async () => {
        const gone = await db
          .delete(signingKeys)
          .where(lte(signingKeys.deleteAfter, new Date(now())))
          .returning({ kid: signingKeys.kid });
        return gone.map((row) => row.kid);
      }),
  };
}

/**
 * The active key and the JWKS at instant `at` (epoch ms), from keys loaded earlier: the newest key
 * whose signing window [activatesAt, retiresAt) contains `at`; ties go to the greater kid. Every
 * replica holding the same rows answers the same, which is how they agree without a coordinator.
 * @throws NoActiveSigningKeyError
 */
export function selectSigningKeys(
  keys: readonly LoadedSigningKey[],
  at: number,
): { active: ActiveSigningKey; published: PublishedJwk[] } {
  const live = keys.filter((key) => !isExpired(key, at));
  const active = pickActive(
    live.filter((key) => key.privateJwk !== null),
    at,
  );
  if (!active?.privateJwk) throw new NoActiveSigningKeyError();
  return {
    active: {
      kid: active.kid,
      algorithm: "EdDSA",
      privateJwk: active.privateJwk,
      publicJwk: active.publicJwk,
    },
    published: publishedJwksAt(live, at),
  };
}

/** The JWKS at instant `at` (epoch ms): every key not yet past its `deleteAfter`, newest first. */
export function publishedJwksAt(keys: readonly LoadedSigningKey[], at: number): PublishedJwk[] {
  return keys
    .filter((key) => !isExpired(key, at))
    .sort(newestFirst)
    .map((key) => key.publicJwk);
}

interface KeyTimes {
  kid: string;
  activatesAt: Date;
  retiresAt: Date | null;
  deleteAfter: Date | null;
}

function isExpired(key: KeyTimes, at: number): boolean {
  return key.deleteAfter !== null && key.deleteAfter.getTime() <= at;
}

function signsAt(key: KeyTimes, at: number): boolean {
  return key.activatesAt.getTime() <= at && (key.retiresAt === null || key.retiresAt.getTime() > at);
}

function newestFirst(a: KeyTimes, b: KeyTimes): number {
  return b.activatesAt.getTime() - a.activatesAt.getTime() || (a.kid < b.kid ? 1 : a.kid > b.kid ? -1 : 0);
}

function pickActive<K extends KeyTimes>(keys: readonly K[], at: number): K | undefined {
  return keys.filter((key) => signsAt(key, at) && !isExpired(key, at)).sort(newestFirst)[0];
}

function toLoadedKey(row: SigningKeyRow, sealer: SigningKeySealer, at: number): LoadedSigningKey {
  const publicJwk: PublishedJwk = { ...row.publicJwk, kid: row.kid, alg: "EdDSA", use: "sig" };
  // A retired key only verifies; its private half stays sealed.
  const mayStillSign = row.retiresAt === null || row.retiresAt.getTime() > at;
  return {
    kid: row.kid,
    publicJwk,
    privateJwk: mayStillSign ? sealer.open(row.kid, row.privateKeyCiphertext, row.publicJwk) : null,
    activatesAt: row.activatesAt,
    retiresAt: row.retiresAt,
    deleteAfter: row.deleteAfter,
  };
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DomainError) throw error;
    if (isConnectionFailure(error)) throw new DatabaseUnavailableError({ cause: error });
    throw error;
  }
}
