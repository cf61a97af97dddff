import { createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SigningKeyDecryptionError } from "../errors.js";
import {
  createSigningKeySealer,
  type Ed25519PrivateJwk,
  generateSigningKey,
  jwkThumbprint,
} from "./signing-key-crypto.js";

/** RFC 8037 appendix A.1: the example Ed25519 key. */
const RFC8037_KEY: Ed25519PrivateJwk = {
  kty: "OKP",
  crv: "Ed25519",
  d: "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
  x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
};

describe("jwkThumbprint", () => {
  it("matches RFC 8037 appendix A.3's thumbprint of the example key", () => {
    expect(jwkThumbprint({ kty: "OKP", crv: "Ed25519", x: RFC8037_KEY.x })).toBe(
      "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
    );
  });

  it("ignores members other than crv, kty and x (RFC 7638 §3.2)", () => {
    const extra = { ...RFC8037_KEY, kid: "x", use: "sig" } as unknown as Ed25519PrivateJwk;
    expect(jwkThumbprint(extra)).toBe("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  });
});

describe("generateSigningKey", () => {
  it("returns an Ed25519 pair named by its thumbprint, whose halves sign and verify together", () => {
    const key = generateSigningKey();
    expect(key.publicJwk).toEqual({ kty: "OKP", crv: "Ed25519", x: key.privateJwk.x });
    expect(key.kid).toBe(jwkThumbprint(key.publicJwk));
    expect(Object.keys(key.publicJwk)).not.toContain("d");
    const message = Buffer.from("payload");
    const signature = sign(null, message, createPrivateKey({ key: { ...key.privateJwk }, format: "jwk" }));
    expect(
      verify(null, message, createPublicKey({ key: { ...key.publicJwk }, format: "jwk" }), signature),
    ).toBe(true);
    expect(generateSigningKey().kid).not.toBe(key.kid);
  });
});

describe("createSigningKeySealer", () => {
  const kid = jwkThumbprint(RFC8037_KEY);
  const publicJwk = { kty: "OKP", crv: "Ed25519", x: RFC8037_KEY.x } as const;

  it("round-trips a private key, and the opened key still signs RFC 8037 A.4's example", () => {
    const sealer = createSigningKeySealer("the key-encryption secret");
    const sealed = sealer.seal(kid, RFC8037_KEY);
    expect(sealed).not.toContain(RFC8037_KEY.d);
    expect(sealer.seal(kid, RFC8037_KEY)).not.toBe(sealed); // fresh IV each time
    const opened = sealer.open(kid, sealed, publicJwk);
    expect(opened).toEqual(RFC8037_KEY);
    const signature = sign(
      null,
      Buffer.from("eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"),
      createPrivateKey({ key: { ...opened }, format: "jwk" }),
    );
    expect(signature.toString("base64url")).toBe(
      "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg",
    );
  });

  it("refuses a wrong secret with SigningKeyDecryptionError, naming only the kid", () => {
    const sealed = createSigningKeySealer("the key-encryption secret").seal(kid, RFC8037_KEY);
    const wrong = createSigningKeySealer("another secret");
    const attempt = () => wrong.open(kid, sealed, publicJwk);
    expect(attempt).toThrow(SigningKeyDecryptionError);
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({ code: "SIGNING_KEY_DECRYPTION_FAILED", kid });
      expect((error as Error).message).not.toContain(sealed);
    }
  });

  it("refuses a tampered ciphertext, a truncated one, and one moved onto another kid", () => {
    const sealer = createSigningKeySealer("the key-encryption secret");
    const sealed = sealer.seal(kid, RFC8037_KEY);
    const bytes = Buffer.from(sealed.slice(3), "base64url");
    for (const index of [0, 12, bytes.length - 20, bytes.length - 1]) {
      const flipped = Buffer.from(bytes);
      flipped[index] = (flipped[index] ?? 0) ^ 1;
      expect(() => sealer.open(kid, `v1.${flipped.toString("base64url")}`, publicJwk)).toThrow(
        SigningKeyDecryptionError,
      );
    }
    expect(() => sealer.open(kid, sealed.slice(0, 20), publicJwk)).toThrow(SigningKeyDecryptionError);
    expect(() => sealer.open(kid, `v2.${sealed.slice(3)}`, publicJwk)).toThrow(SigningKeyDecryptionError);
    expect(() => sealer.open("another-kid", sealed, publicJwk)).toThrow(SigningKeyDecryptionError);
  });

  it("refuses a private key that is not the stored public key's other half", () => {
    const sealer = createSigningKeySealer("the key-encryption secret");
    const other = generateSigningKey();
    const sealed = sealer.seal(kid, { ...other.privateJwk, x: RFC8037_KEY.x });
    expect(() => sealer.open(kid, sealed, publicJwk)).toThrow(SigningKeyDecryptionError);
  });

  it("refuses an empty secret", () => {
    expect(() => createSigningKeySealer("")).toThrow(RangeError);
  });
});
