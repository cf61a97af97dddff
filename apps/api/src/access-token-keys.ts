import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { createTokenService, type TokenKeyProvider, type TokenService } from "@app/auth";
import {
  createSigningKeyCache,
  createSigningKeyStore,
  type Database,
  type PublishedJwk,
  type SigningKeyCache,
  SigningKeyDecryptionError,
} from "@app/core";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";

/** The body of `GET /.well-known/jwks.json` (RFC 7517). */
export interface JsonWebKeySet {
  keys: PublishedJwk[];
}

/** What the JWKS route needs. */
export interface JwksSource {
  keySet(): JsonWebKeySet;
  /** `Cache-Control: public, max-age=…` of the key set. */
  maxAgeSeconds: number;
}

export interface AccessTokenKeys extends JwksSource {
  tokens: TokenService;
  /** Stops the background key reloads (shutdown). */
  stop(): void;
}

/**
 * The access-token service of this process and the key set it publishes. With EdDSA, the keys live in
 * the database: this makes sure one signs now (creating it on first start), loads them, and keeps
 * reloading them every `JWT_KEY_RELOAD_SECONDS` and on a token with an unknown `kid`, so every
 * replica picks up a rotation (scheduled, or forced with `pnpm keys:rotate`). With HS256 the shared
 * secret signs, and the key set is empty.
 * Stored keys that cannot be decrypted (the secret changed) stop a production start with a way out;
 * elsewhere they are replaced with a warning: a development database often outlives the secret that
 * sealed its keys (a generated one dies with its process), and its old tokens are worthless anyway.
 * @throws Error in production when the stored keys cannot be decrypted
 */
export async function createAccessTokenKeys(
  config: Pick<Config, "jwt" | "env">,
  database: Pick<Database, "db">,
  logger: Logger,
): Promise<AccessTokenKeys> {
  const { jwt } = config;
  const common = {
    ttlSeconds: jwt.ttlSeconds,
    leewaySeconds: jwt.leewaySeconds,
    issuer: jwt.issuer,
    audience: jwt.audience,
  };
  const maxAgeSeconds = jwt.signingKeys.publishAheadSeconds;
  if (jwt.algorithm === "HS256") {
    return {
      tokens: createTokenService({ ...common, algorithm: "HS256", secret: jwt.secret }),
      keySet: () => ({ keys: [] }),
      maxAgeSeconds,
      stop: () => {},
    };
  }

  const settings = jwt.signingKeys;
  const store = createSigningKeyStore({
    db: database.db,
    secret: settings.encryptionSecret,
    rotationDays: settings.rotationDays,
    publishAheadSeconds: settings.publishAheadSeconds,
    accessTokenTtlSeconds: jwt.ttlSeconds,
    retiredKeyLeewaySeconds: Math.max(60, jwt.leewaySeconds),
  });
  const cache = createSigningKeyCache(store, {
    reloadIntervalMs: settings.reloadIntervalSeconds * 1000,
    onReloadError: (error) =>
      logger.warn({ err: { type: (error as Error).name } }, "reloading the signing keys failed"),
  });
  try {
    await cache.start();
  } catch (error) {
    if (!(error instanceof SigningKeyDecryptionError)) throw error;
    if (config.env === "production") {
      throw new Error(
        `The stored signing keys cannot be decrypted with ${settings.encryptionSecretSource}: it is not the secret they were encrypted with. ` +
          "Restore that secret, or run `pnpm keys:rotate --retire-old` to replace every key (all access tokens stop working).",
        { cause: error },
      );
    }
    logger.warn(
      { secret: settings.encryptionSecretSource },
      "the stored signing keys cannot be decrypted with this secret; replacing them, so earlier access tokens are refused (in production this stops the start; set KEY_ENCRYPTION_SECRET or JWT_SECRET to keep keys across restarts)",
    );
    await store.rotateNow({ retireOldImmediately: true });
    await cache.start();
  }

  return {
    tokens: createTokenService({ ...common, algorithm: "EdDSA", keys: cachedKeyProvider(cache) }),
    keySet: () => ({ keys: cache.get().published }),
    maxAgeSeconds,
    stop: () => cache.stop(),
  };
}

/**
 * A `TokenKeyProvider` over the cache, importing each key into a KeyObject once: the token service
 * compares key objects by identity to keep its verified tokens, and jose imports per object.
 */
function cachedKeyProvider(cache: SigningKeyCache): TokenKeyProvider {
  let signing: { kid: string; privateKey: KeyObject } | undefined;
  const publicKeys = new Map<string, KeyObject>();
  return {
    signingKey() {
      const { active } = cache.get();
      if (signing?.kid !== active.kid) {
        const { kty, crv, x, d } = active.privateJwk;
        signing = {
          kid: active.kid,
          privateKey: createPrivateKey({ key: { kty, crv, x, d }, format: "jwk" }),
        };
      }
      return signing;
    },
    async verificationKey(kid) {
      const jwk = await cache.findPublicKey(kid);
      if (!jwk) {
        publicKeys.delete(kid);
        return undefined;
      }
      let key = publicKeys.get(kid);
      if (!key) {
        key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: "jwk" });
        publicKeys.set(kid, key);
      }
      return key;
    },
  };
}
