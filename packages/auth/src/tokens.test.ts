import { createHmac } from "node:crypto";
import { sign, verify } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { InvalidTokenError } from "./errors.js";
import { withLowBitFlipped } from "./test-support/base64url.js";
import { createAccessToken, createTokenService, verifyToken } from "./tokens.js";

const secret = "a-test-secret-that-is-at-least-32-bytes-long";
const base64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function expectRefused(token: string, reason: string, options = { secret }) {
  const error = await verifyToken(token, options).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InvalidTokenError);
  expect(error).toMatchObject({ reason });
  if (token.length > 8) expect((error as Error).message).not.toContain(token);
}

function hs256(payload: object, header: object = { alg: "HS256", typ: "JWT" }, key = secret) {
  const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  return `${unsigned}.${createHmac("sha256", key).update(unsigned).digest("base64url")}`;
}

const validClaims = () => ({ sub: "user-1", iat: nowSeconds(), exp: nowSeconds() + 60, jti: "j1" });

describe("access tokens", () => {
  it("round-trips sub, iat, exp and jti", async () => {
    const { token, expiresIn, claims } = await createAccessToken({
      secret,
      subject: "user-1",
      ttlSeconds: 90,
    });
    expect(expiresIn).toBe(90);
    const verified = await verifyToken(token, { secret });
    expect(verified).toEqual(claims);
    expect(verified.exp - verified.iat).toBe(90);
    expect(verified.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("defaults to a 15-minute lifetime", async () => {
    const { expiresIn } = await createAccessToken({ secret, subject: "u" });
    expect(expiresIn).toBe(900);
  });

  it("gives every token its own jti", async () => {
    const tokens = createTokenService({ secret });
    const [a, b] = await Promise.all([tokens.issue({ subject: "u" }), tokens.issue({ subject: "u" })]);
    expect(a.claims.jti).not.toBe(b.claims.jti);
  });

  it("stamps iat no earlier than issuedAtFloor, and such a token verifies", async () => {
    const floor = nowSeconds() + 1;
    const tokens = createTokenService({ secret });
    const { token, claims } = await tokens.issue({ subject: "u", issuedAtFloor: floor });
    expect(claims.iat).toBe(floor);
    await expect(tokens.verify(token)).resolves.toMatchObject({ iat: floor });
  });

  it("refuses a tampered payload", async () => {
    const { token } = await createAccessToken({ secret, subject: "user-1" });
    const [header, , signature] = token.split(".");
    const forged = `${header}.${base64url(JSON.stringify({ ...validClaims(), sub: "admin" }))}.${signature}`;
    await expectRefused(forged, "bad_signature");
  });

  it("refuses a tampered signature", async () => {
    const { token } = await createAccessToken({ secret, subject: "user-1" });
    const flipped = token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA");
    await expectRefused(flipped, "bad_signature");
  });

  it("refuses a token signed with another secret", async () => {
    const { token } = await createAccessToken({
      secret: "another-secret-that-is-also-32-bytes!!",
      subject: "u",
    });
    await expectRefused(token, "bad_signature");
  });

  it("refuses alg: none, with or without a signature", async () => {
    const unsigned = `${base64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${base64url(JSON.stringify(validClaims()))}`;
    await expectRefused(`${unsigned}.`, "wrong_algorithm");
    await expectRefused(`${unsigned}.${base64url("x")}`, "wrong_algorithm");
  });

  it("refuses any algorithm other than HS256, even with a valid signature for it", async () => {
    const hs512 = await sign(validClaims(), secret, "HS512");
    await expectRefused(hs512, "wrong_algorithm");
  });

  it("refuses an expired token, beyond the configured leeway", async () => {
    const tokens = createTokenService({ secret, leewaySeconds: 30 });
    const stale = hs256({ ...validClaims(), iat: nowSeconds() - 120, exp: nowSeconds() - 31 });
    await expect(tokens.verify(stale)).rejects.toMatchObject({ reason: "expired" });
  });

  it("accepts a token that expired within the leeway", async () => {
    const tokens = createTokenService({ secret, leewaySeconds: 30 });
    const justExpired = hs256({ ...validClaims(), iat: nowSeconds() - 120, exp: nowSeconds() - 5 });
    await expect(tokens.verify(justExpired)).resolves.toMatchObject({ sub: "user-1" });
  });

  it("refuses a token issued in the future (not yet valid) and one with a future nbf", async () => {
    await expectRefused(
      hs256({ ...validClaims(), iat: nowSeconds() + 600, exp: nowSeconds() + 900 }),
      "not_yet_valid",
    );
    await expectRefused(hs256({ ...validClaims(), nbf: nowSeconds() + 600 }), "not_yet_valid");
  });

  it("honours the clock of the verifier", async () => {
    const issuedAt = Date.now();
    const { token } = await createAccessToken({ secret, subject: "u", ttlSeconds: 60, now: () => issuedAt });
    const later = createTokenService({ secret, leewaySeconds: 0, now: () => issuedAt + 61_000 });
    await expect(later.verify(token)).rejects.toMatchObject({ reason: "expired" });
  });

  it("verifies a repeated token from its cache only until exp, then applies the leeway again", async () => {
    let clock = Date.now();
    const tokens = createTokenService({ secret, ttlSeconds: 60, leewaySeconds: 5, now: () => clock });
    const { token } = await tokens.issue({ subject: "u" });
    await expect(tokens.verify(token)).resolves.toMatchObject({ sub: "u" });
    await expect(tokens.verify(token)).resolves.toMatchObject({ sub: "u" });
    clock += 64_000;
    await expect(tokens.verify(token)).resolves.toMatchObject({ sub: "u" });
    clock += 2_000;
    await expect(tokens.verify(token)).rejects.toMatchObject({ reason: "expired" });
  });

  it("requires exp, iat, sub and jti", async () => {
    const { exp: _exp, ...noExp } = validClaims();
    await expectRefused(hs256(noExp), "missing_claim");
    const { sub: _sub, ...noSub } = validClaims();
    await expectRefused(hs256(noSub), "missing_claim");
    const { jti: _jti, ...noJti } = validClaims();
    await expectRefused(hs256(noJti), "missing_claim");
    await expectRefused(hs256({ ...validClaims(), exp: "tomorrow" }), "missing_claim");
  });

  it("refuses garbage", async () => {
    for (const garbage of ["", "abc", "a.b", "a.b.c", "....", `${base64url("{")}.${base64url("{}")}.x`]) {
      await expectRefused(garbage, "malformed");
    }
  });
  it("allows at most 5 seconds past exp by default", async () => {
    const tokens = createTokenService({ secret });
    const tenSecondsLate = hs256({ ...validClaims(), iat: nowSeconds() - 120, exp: nowSeconds() - 10 });
    await expect(tokens.verify(tenSecondsLate)).rejects.toMatchObject({ reason: "expired" });
    const twoSecondsLate = hs256({ ...validClaims(), iat: nowSeconds() - 120, exp: nowSeconds() - 2 });
    await expect(tokens.verify(twoSecondsLate)).resolves.toMatchObject({ sub: "user-1" });
  });

  it("speaks the same HS256 as hono/jwt, both ways", async () => {
    const payload = validClaims();
    const theirs = await sign(payload, secret, "HS256");
    await expect(verifyToken(theirs, { secret })).resolves.toEqual(payload);
    const { token, claims } = await createAccessToken({ secret, subject: "u" });
    await expect(verify(token, secret, "HS256")).resolves.toEqual(claims);
  });

  it("accepts the header variants hono/jwt accepted", async () => {
    await expect(verifyToken(hs256(validClaims(), { alg: "HS256" }), { secret })).resolves.toBeDefined();
    const appJwt = hs256(validClaims(), { typ: "application/JWT", alg: "HS256" });
    await expect(verifyToken(appJwt, { secret })).resolves.toBeDefined();
  });

  it("refuses another typ, a crit header, and a header that is not an object", async () => {
    await expectRefused(hs256(validClaims(), { alg: "HS256", typ: "at+jwt" }), "wrong_algorithm");
    await expectRefused(hs256(validClaims(), { alg: "HS256", typ: "JWT", crit: ["exp"] }), "wrong_algorithm");
    await expectRefused(hs256(validClaims(), []), "malformed");
    await expectRefused(`${base64url("null")}.${base64url("{}")}.${"A".repeat(43)}`, "malformed");
  });

  it("refuses a correctly signed payload that is not a JSON object", async () => {
    for (const payload of ["null", "[1]", "not json"]) {
      const unsigned = `${base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${base64url(payload)}`;
      const token = `${unsigned}.${createHmac("sha256", secret).update(unsigned).digest("base64url")}`;
      await expectRefused(token, "malformed");
    }
  });

  it("refuses a signature of the wrong length, and parts outside base64url", async () => {
    const { token } = await createAccessToken({ secret, subject: "u" });
    const [header, payload, signature = ""] = token.split(".");
    await expectRefused(`${header}.${payload}.${signature.slice(0, -3)}`, "bad_signature");
    await expectRefused(`${header}.${payload}.${signature}AAAA`, "bad_signature");
    await expectRefused(`${header}.${payload}.${signature.slice(0, -1)}+`, "malformed");
    await expectRefused(`${header}.${payload}x!.${signature}`, "malformed");
    await expectRefused(`${header}.${payload}.${signature}.`, "malformed");
  });

  it("checks the MAC before reading the payload", async () => {
    const { token } = await createAccessToken({ secret, subject: "u" });
    const [header] = token.split(".");
    await expectRefused(`${header}.${base64url("not json")}.${"A".repeat(43)}`, "bad_signature");
  });

  describe("accepts only canonical base64url", () => {
    it("refuses padding on any segment", async () => {
      const { token } = await createAccessToken({ secret, subject: "u" });
      const [header, payload, signature] = token.split(".");
      await expectRefused(`${header}.${payload}.${signature}=`, "malformed");
      await expectRefused(`${header}.${payload}=.${signature}`, "malformed");
      await expectRefused(`${header}=.${payload}.${signature}`, "malformed");
    });

    it("refuses a signature whose last character differs only in its unused low bits", async () => {
      const { token } = await createAccessToken({ secret, subject: "u" });
      const [header, payload, signature = ""] = token.split(".");
      // 32 MAC bytes are 43 characters; the last one carries 2 bits that encode nothing.
      expect(signature).toHaveLength(43);
      const sibling = withLowBitFlipped(signature);
      expect(Buffer.from(sibling, "base64url")).toEqual(Buffer.from(signature, "base64url"));
      await expectRefused(`${header}.${payload}.${sibling}`, "malformed");
    });
  });
});
