/**
 * EdDSA access tokens from database keys, end to end through the app: the token's header and claims,
 * the JWKS route, and the 401s a verifier owes a token with the wrong key, algorithm, issuer or audience.
 */
import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { createSigningKeyStore, refreshTokens, signingKeys } from "@app/core";
import { openTestDatabase, type TestDatabase, testDatabaseKinds, uniqueEmail } from "@app/core/testing";
import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccessTokenKeys, createAccessTokenKeys } from "../src/access-token-keys.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";
import { expectProblem } from "./support/problem.js";
import { captureLogs, createTestApp, type TestApp } from "./support/test-app.js";

const SECRET = "jwks-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
const ISSUER = "https://id.example.test";
const config = loadConfig({ JWT_SECRET: SECRET, PUBLIC_URL: ISSUER, JWT_KEY_PUBLISH_AHEAD_SECONDS: "900" });

describe.each(testDatabaseKinds)("EdDSA access tokens on %s", (kind) => {
  let db: TestDatabase;
  let keys: AccessTokenKeys;
  let t: TestApp;

  /** The active key's private half, read the way the service reads it, to forge otherwise-valid tokens. */
  const activePrivateKey = async () => {
    const store = createSigningKeyStore({ db: db.database.db, secret: SECRET, accessTokenTtlSeconds: 900 });
    const { active } = await store.load();
    const { kty, crv, x, d } = active.privateJwk;
    return { kid: active.kid, key: createPrivateKey({ key: { kty, crv, x, d }, format: "jwk" }) };
  };
  const sign = (
    claims: Record<string, unknown>,
    header: Record<string, unknown>,
    key: Parameters<SignJWT["sign"]>[0],
  ) => new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", typ: "JWT", ...header }).sign(key);

  beforeAll(async () => {
    db = await openTestDatabase(kind);
    keys = await createAccessTokenKeys(
      config,
      db.database,
      createLogger({ env: "test", logLevel: "silent" }),
    );
    t = await createTestApp(kind, { tokens: keys.tokens, jwks: keys }, { database: db });
  });
  afterAll(async () => {
    keys.stop();
    await db.dispose();
  });

  it("login signs with the active key: header {alg, typ, kid}, and iss, aud, sub, sid, iat, exp, jti, amr", async () => {
    const user = await t.register(uniqueEmail("eddsa"));
    const pair = await t.loginPair(user.email);
    const header = decodeProtectedHeader(pair.access_token);
    const { kid } = await activePrivateKey();
    expect(header).toEqual({ alg: "EdDSA", typ: "JWT", kid });
    const claims = decodeJwt(pair.access_token);
    const session = (await db.database.db.select().from(refreshTokens)).find((row) => row.userId === user.id);
    expect(claims).toEqual({
      iss: ISSUER,
      aud: "user-management",
      sub: user.id,
      sid: session?.familyId,
      iat: expect.any(Number),
      exp: expect.any(Number),
      jti: expect.any(String),
      amr: ["pwd"],
    });
    // iat may be raised to the user's password-change second; exp counts from the real now.
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBeGreaterThanOrEqual(899);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBeLessThanOrEqual(900);
    expect((await t.me(pair.access_token)).status).toBe(200);

    const refreshed = await t.postJson("/v1/users/token/refresh", { refresh_token: pair.refresh_token });
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as { access_token: string };
    expect(decodeJwt(next.access_token)).toMatchObject({ sid: session?.familyId, sub: user.id });
    expect((await t.me(next.access_token)).status).toBe(200);
  });

  it("GET /.well-known/jwks.json: public parts only, every live kid, cacheable for the publish-ahead time", async () => {
    const response = await t.request("/.well-known/jwks.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("public, max-age=900");
    const body = (await response.json()) as { keys: Record<string, unknown>[] };
    const rows = await db.database.db.select({ kid: signingKeys.kid }).from(signingKeys);
    expect(body.keys.map((key) => key.kid).sort()).toEqual(rows.map((row) => row.kid).sort());
    for (const key of body.keys) {
      expect(Object.keys(key).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x"]);
      expect(key).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
    }
    const token = await t.login((await t.register(uniqueEmail("jwks"))).email);
    expect(body.keys.map((key) => key.kid)).toContain(decodeProtectedHeader(token).kid);
  });

  it("/me answers 401 for an unknown kid, a wrong alg, and a wrong iss or aud", async () => {
    const user = await t.register(uniqueEmail("refused"));
    const good = decodeJwt(await t.login(user.email));
    const { kid, key } = await activePrivateKey();
    const claims = { ...good, jti: crypto.randomUUID() };
    const stranger = generateKeyPairSync("ed25519").privateKey;
    const refused = {
      "an unknown kid": await sign(claims, { kid: "not-a-key-of-ours" }, stranger),
      "a known kid on a foreign key": await sign(claims, { kid }, stranger),
      "a wrong issuer": await sign({ ...claims, iss: "https://evil.example" }, { kid }, key),
      "a wrong audience": await sign({ ...claims, aud: "another-service" }, { kid }, key),
      "no issuer": await sign({ ...claims, iss: undefined }, { kid }, key),
      // Algorithm confusion: the published public key used as an HMAC secret.
      "HS256 under the public key": await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256", typ: "JWT", kid })
        .sign(Buffer.from(key.export({ format: "jwk" }).x ?? "", "utf8")),
      "HS256 under the service secret": await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .sign(Buffer.from(SECRET, "utf8")),
    };
    for (const [name, token] of Object.entries(refused)) {
      const response = await t.me(token);
      expect(response.status, name).toBe(401);
      expect(response.headers.get("www-authenticate"), name).toMatch(/^Bearer /);
      await expectProblem(response, 401);
    }
    // The same claims, signed by the right key, pass: the refusals above are about key, alg, iss, aud.
    expect((await t.me(await sign(claims, { kid }, key))).status).toBe(200);
  });
});

describe("signing keys that cannot be decrypted at start-up", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    const first = await createAccessTokenKeys(
      config,
      db.database,
      createLogger({ env: "test", logLevel: "silent" }),
    );
    first.stop();
  });
  afterAll(async () => {
    await db.dispose();
  });

  it("stop a production start, naming the variable and the way out", async () => {
    const other = loadConfig({
      NODE_ENV: "production",
      JWT_SECRET: "a-different-secret-0123456789-abcdefghijklmnop",
    });
    await expect(
      createAccessTokenKeys(other, db.database, createLogger({ env: "test", logLevel: "silent" })),
    ).rejects.toThrow(/cannot be decrypted with JWT_SECRET.*keys:rotate --retire-old/s);
  });

  it("are replaced, with a warning, outside production (here under a generated secret)", async () => {
    const before = await db.database.db.select({ kid: signingKeys.kid }).from(signingKeys);
    const logs = captureLogs();
    const generated = loadConfig({});
    expect(generated.jwt.signingKeys.encryptionSecretSource).toBe("generated");
    const keys = await createAccessTokenKeys(
      generated,
      db.database,
      createLogger({ env: "test", logLevel: "info" }, logs.stream),
    );
    keys.stop();
    expect(logs.lines.join("\n")).toMatch(/cannot be decrypted with this secret; replacing them/);
    const after = await db.database.db.select({ kid: signingKeys.kid }).from(signingKeys);
    expect(after).toHaveLength(1);
    expect(before.map((row) => row.kid)).not.toContain(after[0]?.kid);
    const { token } = await keys.tokens.issue({ subject: crypto.randomUUID() });
    await expect(keys.tokens.verify(token)).resolves.toMatchObject({ iss: "http://localhost:3000" });
  });
});

describe("JWT_ALGORITHM=HS256", () => {
  it("signs with the shared secret and publishes an empty key set", async () => {
    const db = await openTestDatabase("pglite");
    try {
      const hs = loadConfig({ JWT_SECRET: SECRET, JWT_ALGORITHM: "HS256", PUBLIC_URL: ISSUER });
      const keys = await createAccessTokenKeys(
        hs,
        db.database,
        createLogger({ env: "test", logLevel: "silent" }),
      );
      const t = await createTestApp("pglite", { tokens: keys.tokens, jwks: keys }, { database: db });
      const token = await t.login((await t.register(uniqueEmail("hs256"))).email);
      expect(decodeProtectedHeader(token)).toEqual({ alg: "HS256", typ: "JWT" });
      expect(decodeJwt(token)).toMatchObject({ iss: ISSUER, aud: "user-management", amr: ["pwd"] });
      expect((await t.me(token)).status).toBe(200);
      const jwks = await t.request("/.well-known/jwks.json");
      expect(await jwks.json()).toEqual({ keys: [] });
      expect(await db.database.db.select().from(signingKeys)).toEqual([]);
    } finally {
      await db.dispose();
    }
  });
});
