import { createPublicKey, verify as edVerify } from "node:crypto";
import { CompactSign, calculateJwkThumbprint, compactVerify } from "jose";
import { describe, expect, it } from "vitest";
import { createKeySetProvider, generateSigningKeyPair, toPublicJwk } from "./signing-keys.js";
import { createTokenService } from "./tokens.js";

/** RFC 8037 appendix A: the Ed25519 key (A.1, A.2), its thumbprint (A.3) and a signature (A.4). */
const rfc8037 = {
  privateJwk: {
    kty: "OKP",
    crv: "Ed25519",
    d: "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
    x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
  },
  thumbprint: "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
  payload: "Example of Ed25519 signing",
  jws:
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc." +
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg",
};

describe("RFC 8037 Ed25519 test vector", () => {
  const kid = rfc8037.thumbprint;
  const keys = createKeySetProvider({
    activeKid: kid,
    keys: [{ kid, publicJwk: toPublicJwk(rfc8037.privateJwk, kid), privateJwk: rfc8037.privateJwk }],
  });

  it("has the thumbprint of A.3, which is how our kids are made", async () => {
    await expect(calculateJwkThumbprint(toPublicJwk(rfc8037.privateJwk, "x"), "sha256")).resolves.toBe(kid);
  });

  it("signs A.4 byte for byte with the provider's key, and verifies it with the public key", async () => {
    const { privateKey } = await keys.signingKey();
    const jws = await new CompactSign(new TextEncoder().encode(rfc8037.payload))
      .setProtectedHeader({ alg: "EdDSA" })
      .sign(privateKey);
    expect(jws).toBe(rfc8037.jws);
    const publicKey = keys.verificationKey(kid);
    if (!publicKey || publicKey instanceof Promise) throw new Error("the key set lost its key");
    const { payload } = await compactVerify(rfc8037.jws, publicKey, { algorithms: ["EdDSA"] });
    expect(new TextDecoder().decode(payload)).toBe(rfc8037.payload);
  });

  it("issues access tokens that plain node:crypto verifies with the RFC's public key", async () => {
    const tokens = createTokenService({ algorithm: "EdDSA", keys, issuer: "https://id.test", audience: "a" });
    const { token } = await tokens.issue({ subject: "u" });
    const [header, payload, signature] = token.split(".");
    const publicKey = createPublicKey({ key: toPublicJwk(rfc8037.privateJwk, kid), format: "jwk" });
    const valid = edVerify(
      null,
      Buffer.from(`${header}.${payload}`),
      publicKey,
      Buffer.from(signature ?? "", "base64url"),
    );
    expect(valid).toBe(true);
    await expect(tokens.verify(token)).resolves.toMatchObject({ sub: "u", iss: "https://id.test", aud: "a" });
  });
});

describe("generateSigningKeyPair / toPublicJwk", () => {
  it("makes an Ed25519 pair whose kid is its thumbprint and whose public JWK has no d", async () => {
    const pair = await generateSigningKeyPair();
    expect(pair.publicJwk).toEqual({
      kty: "OKP",
      crv: "Ed25519",
      x: pair.publicJwk.x,
      kid: pair.kid,
      alg: "EdDSA",
      use: "sig",
    });
    expect(pair.privateJwk.d).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await expect(calculateJwkThumbprint(pair.publicJwk, "sha256")).resolves.toBe(pair.kid);
    expect(toPublicJwk(pair.privateJwk)).toEqual(pair.publicJwk);
    expect(toPublicJwk(createPublicKey({ key: pair.privateJwk, format: "jwk" }), pair.kid)).toEqual(
      pair.publicJwk,
    );
    expect((await generateSigningKeyPair()).kid).not.toBe(pair.kid);
  });

  it("refuses keys that are not Ed25519", () => {
    expect(() => toPublicJwk({ kty: "oct", k: "c2VjcmV0", kid: "k" })).toThrow(TypeError);
    expect(() => toPublicJwk({ kty: "OKP", crv: "X25519", x: rfc8037.privateJwk.x, kid: "k" })).toThrow(
      TypeError,
    );
  });

  it("refuses a key set whose active key has no private part", async () => {
    const pair = await generateSigningKeyPair();
    expect(() =>
      createKeySetProvider({ activeKid: pair.kid, keys: [{ kid: pair.kid, publicJwk: pair.publicJwk }] }),
    ).toThrow(TypeError);
    expect(() => createKeySetProvider({ activeKid: "missing", keys: [pair] })).toThrow(TypeError);
  });
});
