import { createHash, createPrivateKey, generateKeyPairSync } from "node:crypto";
import { createSecretSealer } from "../crypto/secret-sealer.js";
import type { Ed25519PublicJwk } from "../db/schema.js";
import { SigningKeyDecryptionError } from "../errors.js";

/** The private half of an Ed25519 key as a JWK (RFC 8037): `d` is the 32-byte seed, base64url. */
export interface Ed25519PrivateJwk extends Ed25519PublicJwk {
  d: string;
}

/** A freshly generated key pair, named by its thumbprint. */
export interface GeneratedSigningKey {
  kid: string;
  publicJwk: Ed25519PublicJwk;
  privateJwk: Ed25519PrivateJwk;
}

/**
 * RFC 7638 JWK thumbprint of an Ed25519 public key: base64url SHA-256 of the JSON of its required
 * members (`crv`, `kty`, `x`) in lexicographic order, with no whitespace.
 * @example
 * jwkThumbprint({ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" });
 * // "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" (RFC 8037 appendix A.3)
 */
export function jwkThumbprint(jwk: Ed25519PublicJwk): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
  return createHash("sha256").update(canonical, "utf8").digest("base64url");
}

/** A new Ed25519 key pair from node:crypto, as JWKs, with its thumbprint as `kid`. */
export function generateSigningKey(): GeneratedSigningKey {
  const { privateKey } = generateKeyPairSync("ed25519");
  const exported = privateKey.export({ format: "jwk" });
  if (exported.kty !== "OKP" || exported.crv !== "Ed25519" || !exported.x || !exported.d) {
    throw new Error("node:crypto exported an Ed25519 key in an unexpected JWK shape");
  }
  const publicJwk: Ed25519PublicJwk = { kty: "OKP", crv: "Ed25519", x: exported.x };
  return { kid: jwkThumbprint(publicJwk), publicJwk, privateJwk: { ...publicJwk, d: exported.d } };
}

/**
 * Encrypts and decrypts private signing keys at rest: AES-256-GCM under a key derived from `secret`
 * with HKDF-SHA256, a random 96-bit IV per key, and the kid as authenticated data, so a ciphertext
 * moved onto another key's row fails to decrypt just as a wrong secret or a flipped bit does.
 * @example
 * const sealer = createSigningKeySealer("a long random secret");
 * const stored = sealer.seal(key.kid, key.privateJwk);
 * sealer.open(key.kid, stored, key.publicJwk); // the private JWK, or SigningKeyDecryptionError
 */
export function createSigningKeySealer(secret: string) {
  if (secret.length === 0) throw new RangeError("The signing-key encryption secret must not be empty");
  const sealer = createSecretSealer(secret, "signing-key encryption v1");
  const aad = (kid: string) => `signing-key:${kid}`;

  return {
    seal(kid: string, privateJwk: Ed25519PrivateJwk): string {
      return sealer.seal(aad(kid), Buffer.from(JSON.stringify(privateJwk), "utf8"));
    },

    /**
     * The private JWK sealed under `kid`, checked to be the private half of `publicJwk`.
     * @throws SigningKeyDecryptionError
     */
    open(kid: string, sealed: string, publicJwk: Ed25519PublicJwk): Ed25519PrivateJwk {
      let plain: Buffer;
      try {
        plain = sealer.open(aad(kid), sealed);
      } catch (error) {
        throw new SigningKeyDecryptionError(kid, { cause: error });
      }
      const parsed = JSON.parse(plain.toString("utf8")) as Ed25519PrivateJwk;
      if (!matchesPublicKey(parsed, publicJwk)) throw new SigningKeyDecryptionError(kid);
      return { kty: "OKP", crv: "Ed25519", x: parsed.x, d: parsed.d };
    },
  };
}

export type SigningKeySealer = ReturnType<typeof createSigningKeySealer>;

/** Whether `privateJwk`'s seed really yields `publicJwk` (not just a matching `x` field). */
function matchesPublicKey(privateJwk: Ed25519PrivateJwk, publicJwk: Ed25519PublicJwk): boolean {
  try {
    const derived = createPrivateKey({ key: { ...privateJwk }, format: "jwk" }).export({ format: "jwk" });
    return derived.x === publicJwk.x && privateJwk.x === publicJwk.x;
  } catch {
    return false;
  }
}
