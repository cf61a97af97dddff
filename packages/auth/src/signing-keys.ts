import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  type webcrypto,
} from "node:crypto";
import { calculateJwkThumbprint, type JWK } from "jose";

/** An Ed25519 key as node:crypto, WebCrypto or JWK holds it. */
export type Ed25519Key = KeyObject | webcrypto.CryptoKey | JWK;

/** The public half of an Ed25519 signing key, as published in a JWKS (never has `d`). */
// Type aliases, not interfaces, so they stay assignable to node:crypto's and jose's JWK types.
export type PublicSigningJwk = {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
  kid: string;
  alg: "EdDSA";
  use: "sig";
};

/** A whole Ed25519 signing key as JWK; `d` is the secret part and must be encrypted at rest. */
export type PrivateSigningJwk = PublicSigningJwk & { d: string };

export interface SigningKeyPair {
  /** RFC 7638 thumbprint of the public key: stable, and derived from nothing secret. */
  kid: string;
  publicJwk: PublicSigningJwk;
  privateJwk: PrivateSigningJwk;
}

/** The key that signs new tokens. */
export interface SigningKey {
  kid: string;
  privateKey: Ed25519Key;
}

/**
 * Where an EdDSA token service gets its keys. Both methods are called per request, so they should
 * answer from memory and return the same key object each time: jose imports a KeyObject or JWK once per
 * object (a WeakMap), so a fresh object per call would mean an import per call.
 * `verificationKey` returns `undefined` for a `kid` it does not know; the token is then refused.
 */
export interface TokenKeyProvider {
  signingKey(): SigningKey | Promise<SigningKey>;
  verificationKey(kid: string): Ed25519Key | undefined | Promise<Ed25519Key | undefined>;
}

/**
 * A fresh Ed25519 key pair with its `kid`.
 * @example
 * const { kid, publicJwk, privateJwk } = await generateSigningKeyPair();
 * // publish publicJwk in the JWKS; store privateJwk encrypted
 */
export async function generateSigningKeyPair(): Promise<SigningKeyPair> {
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" });
  if (typeof jwk.x !== "string" || typeof jwk.d !== "string") throw new TypeError("Ed25519 export failed");
  const kid = await calculateJwkThumbprint({ kty: "OKP", crv: "Ed25519", x: jwk.x }, "sha256");
  const publicJwk: PublicSigningJwk = { kty: "OKP", crv: "Ed25519", x: jwk.x, kid, alg: "EdDSA", use: "sig" };
  return { kid, publicJwk, privateJwk: { ...publicJwk, d: jwk.d } };
}

/**
 * The publishable part of an Ed25519 key: drops `d` and anything else private.
 * @throws TypeError when the key is not Ed25519
 * @example const entry = toPublicJwk(privateJwk); // { kty, crv, x, kid, alg, use }
 */
export function toPublicJwk(key: JWK | KeyObject, kid?: string): PublicSigningJwk {
  const jwk: JWK = isKeyObject(key)
    ? (key.type === "public" ? key : createPublicKey(key)).export({ format: "jwk" })
    : key;
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") {
    throw new TypeError("not an Ed25519 key");
  }
  const keyId = kid ?? jwk.kid;
  if (!keyId) throw new TypeError("an Ed25519 key needs a kid");
  return { kty: "OKP", crv: "Ed25519", x: jwk.x, kid: keyId, alg: "EdDSA", use: "sig" };
}

export interface KeySetEntry {
  kid: string;
  publicJwk: JWK;
  /** Only the active key needs its private part. */
  privateJwk?: JWK;
}

/**
 * A `TokenKeyProvider` over keys held in memory, each imported once into a KeyObject. Use it for a fixed
 * key set, or rebuild it whenever a key store's contents change.
 * @throws TypeError when a key is not Ed25519, or the active key has no private part
 * @example
 * const pair = await generateSigningKeyPair();
 * const keys = createKeySetProvider({ activeKid: pair.kid, keys: [pair] });
 * const tokens = createTokenService({ algorithm: "EdDSA", keys, issuer, audience });
 */
export function createKeySetProvider(options: { activeKid: string; keys: KeySetEntry[] }): TokenKeyProvider {
  const publicKeys = new Map<string, KeyObject>();
  let signing: SigningKey | undefined;
  for (const entry of options.keys) {
    const publicJwk = toPublicJwk(entry.publicJwk, entry.kid);
    publicKeys.set(
      entry.kid,
      createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: publicJwk.x }, format: "jwk" }),
    );
    if (entry.kid === options.activeKid) {
      if (!entry.privateJwk || typeof entry.privateJwk.d !== "string") {
        throw new TypeError("the active key needs its private part");
      }
      const privateKey = createPrivateKey({
        key: { kty: "OKP", crv: "Ed25519", x: publicJwk.x, d: entry.privateJwk.d },
        format: "jwk",
      });
      signing = { kid: entry.kid, privateKey };
    }
  }
  if (!signing) throw new TypeError(`no key with kid ${options.activeKid}`);
  const active = signing;
  return {
    signingKey: () => active,
    verificationKey: (kid) => publicKeys.get(kid),
  };
}

/**
 * Refuses, loudly, a verification key that is not an Ed25519 public key: accepting anything else is how
 * algorithm confusion starts (a key read as an HMAC secret, or a private key handed out by mistake).
 */
export function assertEd25519PublicKey(key: Ed25519Key): void {
  if (isKeyObject(key)) {
    if (key.type === "public" && key.asymmetricKeyType === "ed25519") return;
  } else if (isCryptoKey(key)) {
    if (key.type === "public" && key.algorithm.name === "Ed25519") return;
  } else if (key.kty === "OKP" && key.crv === "Ed25519" && typeof key.x === "string" && key.d === undefined) {
    if (key.alg === undefined || key.alg === "EdDSA" || key.alg === "Ed25519") return;
  }
  throw new TypeError("a verification key must be an Ed25519 public key");
}

function isKeyObject(key: unknown): key is KeyObject {
  return (key as { [Symbol.toStringTag]?: string })?.[Symbol.toStringTag] === "KeyObject";
}

function isCryptoKey(key: unknown): key is webcrypto.CryptoKey {
  return (key as { [Symbol.toStringTag]?: string })?.[Symbol.toStringTag] === "CryptoKey";
}
