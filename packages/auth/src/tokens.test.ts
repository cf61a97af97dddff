import { createHmac } from "node:crypto";
import { sign } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { InvalidTokenError } from "./errors.js";
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

  it("defaults to a 30-minute lifetime", async () => {
    const { expiresIn } = await createAccessToken({ secret, subject: "u" });
    expect(expiresIn).toBe(1800);
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

  it("refuses an expired token, beyond the clock-skew leeway", async () => {
    const tokens = createTokenService({ secret, clockSkewSeconds: 30 });
    const stale = hs256({ ...validClaims(), iat: nowSeconds() - 120, exp: nowSeconds() - 31 });
    await expect(tokens.verify(stale)).rejects.toMatchObject({ reason: "expired" });
  });

  it("accepts a token that expired within the leeway", async () => {
    const tokens = createTokenService({ secret, clockSkewSeconds: 30 });
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
    const later = createTokenService({ secret, clockSkewSeconds: 0, now: () => issuedAt + 61_000 });
    await expect(later.verify(token)).rejects.toMatchObject({ reason: "expired" });
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
});
