import { createHmac, createPublicKey, sign as edSign } from "node:crypto";
import { importJWK, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { InvalidTokenError } from "./errors.js";
import {
  createKeySetProvider,
  generateSigningKeyPair,
  type SigningKeyPair,
  type TokenKeyProvider,
} from "./signing-keys.js";
import { withLowBitFlipped } from "./test-support/base64url.js";
import { createTokenService, type EdDsaTokenServiceOptions, type TokenService } from "./tokens.js";

const issuer = "https://id.example.test";
const audience = "user-management";
const base64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");
const nowSeconds = () => Math.floor(Date.now() / 1000);
const validClaims = () => ({
  sub: "user-1",
  iat: nowSeconds(),
  exp: nowSeconds() + 60,
  jti: "j1",
  iss: issuer,
  aud: audience,
});

const pair = await generateSigningKeyPair();
const other = await generateSigningKeyPair();

function service(
  overrides: Partial<EdDsaTokenServiceOptions> = {},
  keys: SigningKeyPair[] = [pair],
): TokenService {
  return createTokenService({
    algorithm: "EdDSA",
    keys: createKeySetProvider({ activeKid: keys[0]?.kid ?? "", keys }),
    issuer,
    audience,
    ...overrides,
  });
}

/** A token signed by `key` with any header and payload, the way a forger with that key would. */
function ed25519Token(header: object, payload: object | string, key = pair): string {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload);
  const unsigned = `${base64url(JSON.stringify(header))}.${base64url(body)}`;
  const privateKey = { key: key.privateJwk, format: "jwk" } as const;
  return `${unsigned}.${base64url(edSign(null, Buffer.from(unsigned), privateKey))}`;
}

async function reasonOf(tokens: TokenService, token: string): Promise<string | undefined> {
  const error = await tokens.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) return undefined;
  expect(error).toBeInstanceOf(InvalidTokenError);
  expect((error as Error).message).not.toContain(token);
  return (error as InvalidTokenError).reason;
}

describe("EdDSA access tokens", () => {
  it("sign with the active key under {alg: EdDSA, typ: JWT, kid} and verify by kid", async () => {
    const tokens = service();
    const { token, claims } = await tokens.issue({
      subject: "user-1",
      sessionId: "s-1",
      amr: ["pwd", "otp", "mfa"],
    });
    const [header] = token.split(".");
    expect(JSON.parse(Buffer.from(header ?? "", "base64url").toString())).toEqual({
      alg: "EdDSA",
      typ: "JWT",
      kid: pair.kid,
    });
    expect(claims).toMatchObject({
      sub: "user-1",
      iss: issuer,
      aud: audience,
      sid: "s-1",
      amr: ["pwd", "otp", "mfa"],
    });
    await expect(tokens.verify(token)).resolves.toEqual(claims);
  });

  it("verifies tokens of a retired key still in the set, and signs only with the active one", async () => {
    const before = service({}, [other, pair]);
    const { token } = await before.issue({ subject: "u" });
    const after = service({}, [pair, other]);
    await expect(after.verify(token)).resolves.toMatchObject({ sub: "u" });
    const { token: fresh } = await after.issue({ subject: "u" });
    expect(JSON.parse(Buffer.from(fresh.split(".")[0] ?? "", "base64url").toString()).kid).toBe(pair.kid);
  });

  it("refuses alg: none, with or without a signature", async () => {
    const unsigned = `${base64url(JSON.stringify({ alg: "none", typ: "JWT", kid: pair.kid }))}.${base64url(JSON.stringify(validClaims()))}`;
    expect(await reasonOf(service(), `${unsigned}.`)).toBe("wrong_algorithm");
    expect(await reasonOf(service(), `${unsigned}.${base64url("x")}`)).toBe("wrong_algorithm");
  });

  it("refuses an HS256 token whose HMAC secret is the public key (algorithm confusion)", async () => {
    const tokens = service();
    const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT", kid: pair.kid }));
    const unsigned = `${header}.${base64url(JSON.stringify(validClaims()))}`;
    const publicKey = createPublicKey({ key: pair.publicJwk, format: "jwk" });
    const secrets = [
      Buffer.from(pair.publicJwk.x, "base64url"),
      Buffer.from(pair.publicJwk.x),
      Buffer.from(JSON.stringify(pair.publicJwk)),
      publicKey.export({ type: "spki", format: "pem" }),
      publicKey.export({ type: "spki", format: "der" }),
    ];
    for (const secret of secrets) {
      const forged = `${unsigned}.${createHmac("sha256", secret).update(unsigned).digest("base64url")}`;
      expect(await reasonOf(tokens, forged)).toBe("wrong_algorithm");
    }
  });

  it("refuses a token without a kid, or with a kid the key set does not hold", async () => {
    const tokens = service();
    expect(await reasonOf(tokens, ed25519Token({ alg: "EdDSA", typ: "JWT" }, validClaims()))).toBe(
      "unknown_key",
    );
    const unknown = ed25519Token({ alg: "EdDSA", typ: "JWT", kid: other.kid }, validClaims(), other);
    expect(await reasonOf(tokens, unknown)).toBe("unknown_key");
    const relabelled = ed25519Token({ alg: "EdDSA", typ: "JWT", kid: pair.kid }, validClaims(), other);
    expect(await reasonOf(tokens, relabelled)).toBe("bad_signature");
  });

  it("refuses a wrong or missing iss or aud", async () => {
    const tokens = service();
    const header = { alg: "EdDSA", typ: "JWT", kid: pair.kid };
    expect(await reasonOf(tokens, ed25519Token(header, { ...validClaims(), iss: "https://evil.test" }))).toBe(
      "wrong_issuer",
    );
    expect(await reasonOf(tokens, ed25519Token(header, { ...validClaims(), aud: "another-service" }))).toBe(
      "wrong_audience",
    );
    const { iss: _iss, ...noIssuer } = validClaims();
    expect(await reasonOf(tokens, ed25519Token(header, noIssuer))).toBe("missing_claim");
    const { aud: _aud, ...noAudience } = validClaims();
    expect(await reasonOf(tokens, ed25519Token(header, noAudience))).toBe("missing_claim");
  });

  it("refuses a token expired beyond the leeway and accepts one within it", async () => {
    const tokens = service({ leewaySeconds: 5 });
    const header = { alg: "EdDSA", typ: "JWT", kid: pair.kid };
    const old = { iat: nowSeconds() - 600 };
    expect(
      await reasonOf(tokens, ed25519Token(header, { ...validClaims(), ...old, exp: nowSeconds() - 6 })),
    ).toBe("expired");
    expect(
      await reasonOf(tokens, ed25519Token(header, { ...validClaims(), ...old, exp: nowSeconds() - 2 })),
    ).toBeUndefined();
  });

  it("refuses a tampered payload and a tampered signature", async () => {
    const tokens = service();
    const { token } = await tokens.issue({ subject: "user-1" });
    const [header, , signature = ""] = token.split(".");
    const forged = `${header}.${base64url(JSON.stringify({ ...validClaims(), sub: "admin" }))}.${signature}`;
    expect(await reasonOf(tokens, forged)).toBe("bad_signature");
    const flipped = `${signature.slice(0, 10)}${signature[10] === "A" ? "B" : "A"}${signature.slice(11)}`;
    expect(await reasonOf(tokens, token.replace(signature, flipped))).toBe("bad_signature");
  });

  it("requires sub, iat, exp and jti", async () => {
    const tokens = service();
    const header = { alg: "EdDSA", typ: "JWT", kid: pair.kid };
    for (const claim of ["sub", "iat", "exp", "jti"] as const) {
      const { [claim]: _dropped, ...rest } = validClaims();
      expect(await reasonOf(tokens, ed25519Token(header, rest))).toBe("missing_claim");
    }
    expect(await reasonOf(tokens, ed25519Token(header, { ...validClaims(), sub: "" }))).toBe("missing_claim");
    expect(await reasonOf(tokens, ed25519Token(header, { ...validClaims(), amr: "pwd" }))).toBe("malformed");
  });

  it("accepts only canonical base64url: no padding, no altered unused bits", async () => {
    // Without the cache, so each variant reaches the signature check.
    const tokens = service({ verifiedTokenCacheSize: 0 });
    const { token } = await tokens.issue({ subject: "user-1" });
    const [header = "", payload = "", signature = ""] = token.split(".");
    // 64 signature bytes are 86 characters; the last one carries 4 bits that encode nothing.
    expect(signature).toHaveLength(86);
    const sibling = withLowBitFlipped(signature);
    expect(Buffer.from(sibling, "base64url")).toEqual(Buffer.from(signature, "base64url"));
    expect(await reasonOf(tokens, `${header}.${payload}.${sibling}`)).toBe("malformed");
    expect(await reasonOf(tokens, `${header}.${payload}.${signature}=`)).toBe("malformed");
    expect(await reasonOf(tokens, `${header}.${payload}.${signature}==`)).toBe("malformed");
    expect(await reasonOf(tokens, `${header}=.${payload}.${signature}`)).toBe("malformed");
    expect(await reasonOf(tokens, token)).toBeUndefined();
  });

  it("refuses a key set that hands out something other than an Ed25519 public key", async () => {
    const { token } = await service().issue({ subject: "u" });
    const confused: TokenKeyProvider = {
      signingKey: () => ({ kid: pair.kid, privateKey: pair.privateJwk }),
      verificationKey: () => ({ kty: "oct", k: base64url("a-shared-secret") }),
    };
    const tokens = createTokenService({ algorithm: "EdDSA", keys: confused, issuer, audience });
    await expect(tokens.verify(token)).rejects.toThrow(TypeError);
  });

  describe("verified-token cache", () => {
    it("answers a repeated token without verifying its signature again", async () => {
      let lookups = 0;
      const keys = createKeySetProvider({ activeKid: pair.kid, keys: [pair] });
      const counting: TokenKeyProvider = {
        signingKey: () => keys.signingKey(),
        verificationKey: (kid) => {
          lookups++;
          return keys.verificationKey(kid);
        },
      };
      const tokens = createTokenService({ algorithm: "EdDSA", keys: counting, issuer, audience });
      const { token, claims } = await tokens.issue({ subject: "u" });
      await expect(tokens.verify(token)).resolves.toEqual(claims);
      await expect(tokens.verify(token)).resolves.toEqual(claims);
      // one lookup to verify, one per cache hit to confirm the key is still in the set
      expect(lookups).toBe(2);
    });

    it("forgets a token at its exp, so the leeway and expiry apply again", async () => {
      let clock = Date.now();
      const tokens = service({ now: () => clock, ttlSeconds: 60, leewaySeconds: 5 });
      const { token } = await tokens.issue({ subject: "u" });
      await expect(tokens.verify(token)).resolves.toBeDefined();
      clock += 63_000;
      await expect(tokens.verify(token)).resolves.toBeDefined();
      clock += 5_000;
      expect(await reasonOf(tokens, token)).toBe("expired");
    });

    it("drops cached tokens of a key withdrawn from the set", async () => {
      let withdrawn = false;
      const keys = createKeySetProvider({ activeKid: pair.kid, keys: [pair] });
      const provider: TokenKeyProvider = {
        signingKey: () => keys.signingKey(),
        verificationKey: (kid) => (withdrawn ? undefined : keys.verificationKey(kid)),
      };
      const tokens = createTokenService({ algorithm: "EdDSA", keys: provider, issuer, audience });
      const { token } = await tokens.issue({ subject: "u" });
      await expect(tokens.verify(token)).resolves.toBeDefined();
      withdrawn = true;
      expect(await reasonOf(tokens, token)).toBe("unknown_key");
    });

    it("hands out claims no caller can change for the next", async () => {
      const tokens = service();
      const { token } = await tokens.issue({ subject: "u", amr: ["pwd"] });
      const first = await tokens.verify(token);
      expect(() => {
        (first as { sub: string }).sub = "admin";
      }).toThrow(TypeError);
      expect(() => first.amr?.push("mfa")).toThrow(TypeError);
      await expect(tokens.verify(token)).resolves.toMatchObject({ sub: "u", amr: ["pwd"] });
    });
  });
});

describe("jose interop", () => {
  it("a token jose signs with the active key verifies", async () => {
    const token = await new SignJWT({ sub: "u", jti: "j", iss: issuer, aud: audience })
      .setProtectedHeader({ alg: "EdDSA", kid: pair.kid })
      .setIssuedAt()
      .setExpirationTime("1m")
      .sign(await importJWK(pair.privateJwk, "EdDSA"));
    await expect(service().verify(token)).resolves.toMatchObject({ sub: "u" });
  });
});
