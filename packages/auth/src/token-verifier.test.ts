import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidTokenError, KeySetUnavailableError } from "./errors.js";
import {
  createKeySetProvider,
  generateSigningKeyPair,
  type PublicSigningJwk,
  type SigningKeyPair,
} from "./signing-keys.js";
import { withLowBitFlipped } from "./test-support/base64url.js";
import { createTokenVerifier, type TokenVerifierOptions } from "./token-verifier.js";
import { createTokenService, type TokenService } from "./tokens.js";
import { type AccessTokenEnv, verifyAccessToken } from "./verify-access-token.js";

const issuer = "https://id.example.test";
const audience = "user-management";
const base64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

/** A real JWKS endpoint on a free local port, whose keys and status a test can change. */
const jwks = {
  keys: [] as PublicSigningJwk[],
  status: 200,
  requests: 0,
  server: undefined as Server | undefined,
  url: "",
};

beforeAll(async () => {
  jwks.server = createServer((_request, response) => {
    jwks.requests++;
    response.writeHead(jwks.status, { "content-type": "application/json" });
    response.end(JSON.stringify({ keys: jwks.keys }));
  });
  await new Promise<void>((resolve) => jwks.server?.listen(0, "127.0.0.1", resolve));
  jwks.url = `http://127.0.0.1:${(jwks.server.address() as AddressInfo).port}/.well-known/jwks.json`;
});

afterAll(() => new Promise<void>((resolve) => jwks.server?.close(() => resolve())));

function issuerWith(active: SigningKeyPair, ...others: SigningKeyPair[]): TokenService {
  const keys = createKeySetProvider({ activeKid: active.kid, keys: [active, ...others] });
  return createTokenService({ algorithm: "EdDSA", keys, issuer, audience });
}

function verifierFor(overrides: Partial<TokenVerifierOptions> = {}) {
  return createTokenVerifier({ jwksUrl: jwks.url, issuer, audience, ...overrides });
}

async function reasonOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) return undefined;
  expect(error).toBeInstanceOf(InvalidTokenError);
  return (error as InvalidTokenError).reason;
}

describe("createTokenVerifier against a JWKS served over HTTP", () => {
  it("verifies offline after one fetch, and refuses what the issuer's own service refuses", async () => {
    const key = await generateSigningKeyPair();
    jwks.keys = [key.publicJwk];
    const before = jwks.requests;
    const verifier = verifierFor();
    const tokens = issuerWith(key);
    const { token, claims } = await tokens.issue({ subject: "u", sessionId: "s", amr: ["pwd"] });
    await expect(verifier.verify(token)).resolves.toEqual(claims);
    for (let i = 0; i < 5; i++) await verifier.verify((await tokens.issue({ subject: `u${i}` })).token);
    expect(jwks.requests - before).toBe(1);

    const [header = "", payload = "", signature = ""] = token.split(".");
    expect(await reasonOf(verifier.verify(`${header}.${payload}.${withLowBitFlipped(signature)}`))).toBe(
      "malformed",
    );
    expect(await reasonOf(verifier.verify(`${header}.${payload}.${signature}=`))).toBe("malformed");
    const none = `${base64url(JSON.stringify({ alg: "none", kid: key.kid }))}.${payload}.`;
    expect(await reasonOf(verifier.verify(none))).toBe("wrong_algorithm");
    const confusedHeader = base64url(JSON.stringify({ alg: "HS256", typ: "JWT", kid: key.kid }));
    const confused = `${confusedHeader}.${payload}`;
    const hmac = createHmac("sha256", JSON.stringify(key.publicJwk)).update(confused).digest("base64url");
    expect(await reasonOf(verifier.verify(`${confused}.${hmac}`))).toBe("wrong_algorithm");

    const elsewhere = createTokenService({
      algorithm: "EdDSA",
      keys: createKeySetProvider({ activeKid: key.kid, keys: [key] }),
      issuer: "https://evil.test",
      audience,
    });
    expect(await reasonOf(verifier.verify((await elsewhere.issue({ subject: "u" })).token))).toBe(
      "wrong_issuer",
    );
    const otherAudience = createTokenService({
      algorithm: "EdDSA",
      keys: createKeySetProvider({ activeKid: key.kid, keys: [key] }),
      issuer,
      audience: "billing",
    });
    expect(await reasonOf(verifier.verify((await otherAudience.issue({ subject: "u" })).token))).toBe(
      "wrong_audience",
    );
  });

  it("picks up a rotated key with one refetch, and does not let unknown kids hammer the issuer", async () => {
    const first = await generateSigningKeyPair();
    const second = await generateSigningKeyPair();
    jwks.keys = [first.publicJwk];
    const verifier = verifierFor({ cooldownSeconds: 1 });
    await verifier.verify((await issuerWith(first).issue({ subject: "u" })).token);
    const afterFirstFetch = jwks.requests;

    // Within the cooldown, forged kids are refused from the cached set without a request.
    const strangers = await Promise.all(Array.from({ length: 5 }, () => generateSigningKeyPair()));
    for (const stranger of strangers) {
      const { token } = await issuerWith(stranger).issue({ subject: "u" });
      expect(await reasonOf(verifier.verify(token))).toBe("unknown_key");
    }
    expect(jwks.requests).toBe(afterFirstFetch);

    // The issuer rotates: the new key is published, and signs after the cooldown has passed.
    jwks.keys = [first.publicJwk, second.publicJwk];
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const rotated = issuerWith(second, first);
    const tokens = await Promise.all(
      Array.from({ length: 10 }, (_, i) => rotated.issue({ subject: `u${i}` })),
    );
    const claims = await Promise.all(tokens.map(({ token }) => verifier.verify(token)));
    expect(claims.map((c) => c.sub)).toEqual(tokens.map((t) => t.claims.sub));
    expect(jwks.requests).toBe(afterFirstFetch + 1);

    // A burst of unknown kids right after costs no further request.
    const burst = await Promise.all(strangers.map((s) => issuerWith(s).issue({ subject: "u" })));
    const reasons = await Promise.all(burst.map(({ token }) => reasonOf(verifier.verify(token))));
    expect(reasons).toEqual(burst.map(() => "unknown_key"));
    expect(jwks.requests).toBe(afterFirstFetch + 1);
    // Tokens of the retired key still verify while it is published.
    await expect(
      verifier.verify((await issuerWith(first).issue({ subject: "old" })).token),
    ).resolves.toMatchObject({
      sub: "old",
    });
  });

  it("says the key set is unavailable, not that the token is bad, when the JWKS cannot be fetched", async () => {
    const key = await generateSigningKeyPair();
    jwks.keys = [key.publicJwk];
    jwks.status = 500;
    try {
      const { token } = await issuerWith(key).issue({ subject: "u" });
      await expect(verifierFor().verify(token)).rejects.toBeInstanceOf(KeySetUnavailableError);
      const unreachable = createTokenVerifier({ jwksUrl: "http://127.0.0.1:1/jwks.json", issuer, audience });
      await expect(unreachable.verify(token)).rejects.toBeInstanceOf(KeySetUnavailableError);
    } finally {
      jwks.status = 200;
    }
  });
});

describe("verifyAccessToken middleware", () => {
  async function appWithKey() {
    const key = await generateSigningKeyPair();
    jwks.keys = [key.publicJwk];
    const app = new Hono<AccessTokenEnv>();
    app.use("/orders/*", verifyAccessToken({ verifier: verifierFor(), realm: "orders" }));
    app.get("/orders/mine", (c) => c.json({ sub: c.var.claims.sub, amr: c.var.claims.amr }));
    return { app, tokens: issuerWith(key) };
  }

  it("puts the verified claims in c.var.claims", async () => {
    const { app, tokens } = await appWithKey();
    const { token } = await tokens.issue({ subject: "user-7", amr: ["pwd", "otp", "mfa"] });
    const response = await app.request("/orders/mine", { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: "user-7", amr: ["pwd", "otp", "mfa"] });
  });

  it("answers 401 problem+json with WWW-Authenticate for a missing, malformed or refused token", async () => {
    const { app, tokens } = await appWithKey();
    const { token } = await tokens.issue({ subject: "u" });
    const missing = await app.request("/orders/mine");
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="orders"');
    // A different (still canonical) ending, whatever the signature ended with: "AA" alone would leave
    // about one token in a thousand unchanged.
    const tampered = `${token.slice(0, -2)}${token.endsWith("AA") ? "AE" : "AA"}`;
    for (const authorization of ["Basic dTpw", `Bearer ${token}=`, `Bearer ${tampered}`]) {
      const response = await app.request("/orders/mine", { headers: { authorization } });
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(response.headers.get("www-authenticate")).toMatch(
        /^Bearer realm="orders", error="invalid_token"/,
      );
      const body = await response.json();
      expect(body).toMatchObject({ status: 401, title: "Invalid token" });
      expect(JSON.stringify(body)).not.toContain(token.slice(-20));
    }
  });

  it("answers 503 when the key set cannot be fetched", async () => {
    const { app, tokens } = await appWithKey();
    const { token } = await tokens.issue({ subject: "u" });
    jwks.status = 500;
    try {
      const response = await app.request("/orders/mine", { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(503);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    } finally {
      jwks.status = 200;
    }
  });
});
