/**
 * The orders service trusts the identity service's tokens through its JWKS URL alone: both run as real
 * processes, the identity service on PostgreSQL, and keys are rotated with the real `keys:rotate`.
 */
import { generateKeyPairSync } from "node:crypto";
import { openTestDatabase, type TestDatabase, uniqueEmail } from "@app/core/testing";
import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  IDENTITY_SERVER,
  ORDERS_SERVER,
  ROTATE_KEYS,
  type RunningProcess,
  runNode,
  startNodeServer,
} from "./processes.js";

const PASSWORD = "correct horse battery";
const SECRET = "orders-example-test-secret-0123456789abcdef";

describe("examples/orders against the identity service", () => {
  let database: TestDatabase;
  let identity: RunningProcess;
  let orders: RunningProcess;
  let identityEnv: Record<string, string>;

  const signIn = async (email: string) => {
    const response = await fetch(`${identity.url}/v1/users/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  };
  const register = async (email: string) => {
    const response = await fetch(`${identity.url}/v1/users/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  };
  const listOrders = (token: string) =>
    fetch(`${orders.url}/orders`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    database = await openTestDatabase("postgres");
    identityEnv = {
      DATABASE_URL: database.url ?? "",
      JWT_SECRET: SECRET,
      BCRYPT_COST: "4",
      JWT_KEY_RELOAD_SECONDS: "1",
      LOGIN_LIMIT_PER_ACCOUNT: "100",
      LOGIN_LIMIT_PER_ADDRESS: "100000",
      LOG_LEVEL: "info",
    };
    identity = await startNodeServer(IDENTITY_SERVER, {
      ...identityEnv,
      PUBLIC_URL: "http://id.example.test",
    });
    orders = await startNodeServer(ORDERS_SERVER, {
      JWKS_URL: `${identity.url}/.well-known/jwks.json`,
      ISSUER: "http://id.example.test",
      AUDIENCE: "user-management",
      JWKS_COOLDOWN_SECONDS: "1",
    });
  });
  afterAll(async () => {
    await Promise.all([orders?.stop(), identity?.stop()]);
    await database.dispose();
  });

  it("serves the caller's own orders, by the token's sub", async () => {
    const aliceEmail = uniqueEmail("alice");
    const bobEmail = uniqueEmail("bob");
    const aliceId = await register(aliceEmail);
    await register(bobEmail);
    const alice = await signIn(aliceEmail);
    const bob = await signIn(bobEmail);

    const created = await fetch(`${orders.url}/orders`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice}`, "content-type": "application/json" },
      body: JSON.stringify({ item: "a teapot" }),
    });
    expect(created.status).toBe(201);
    const aliceOrders = await listOrders(alice);
    expect(aliceOrders.status).toBe(200);
    expect(await aliceOrders.json()).toMatchObject({ user_id: aliceId, items: [{ item: "a teapot" }] });
    expect(await (await listOrders(bob)).json()).toMatchObject({ items: [] });
  });

  it("answers 401 without a token, and for a tampered, foreign-key, HS256 or wrong-audience token", async () => {
    const email = uniqueEmail("refused");
    await register(email);
    const token = await signIn(email);
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const flipped = `${signature.slice(0, 10)}${signature[10] === "A" ? "B" : "A"}${signature.slice(11)}`;
    const claims = decodeJwt(token);
    const { kid } = decodeProtectedHeader(token);
    const foreignKey = generateKeyPairSync("ed25519").privateKey;
    const refused = {
      tampered: `${header}.${payload}.${flipped}`,
      "another user's sub pasted in": `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: crypto.randomUUID() })).toString("base64url")}.${signature}`,
      "a foreign key under a known kid": await new SignJWT(claims)
        .setProtectedHeader({ alg: "EdDSA", typ: "JWT", kid: kid ?? "" })
        .sign(foreignKey),
      "HS256 under the identity service's secret": await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .sign(Buffer.from(SECRET)),
    };
    expect((await fetch(`${orders.url}/orders`)).status).toBe(401);
    for (const [name, forged] of Object.entries(refused)) {
      const response = await listOrders(forged);
      expect(response.status, name).toBe(401);
      expect(response.headers.get("www-authenticate"), name).toMatch(/^Bearer realm="orders"/);
    }
    expect((await listOrders(token)).status).toBe(200);
  });

  it("keeps accepting the old key's tokens after keys:rotate, and the new key's once it has refetched the key set", async () => {
    const email = uniqueEmail("rotation");
    await register(email);
    const oldToken = await signIn(email);
    expect((await listOrders(oldToken)).status).toBe(200);

    const rotated = await runNode(ROTATE_KEYS, [], identityEnv);
    expect(rotated.code).toBe(0);
    const newKid = /^new signing key (\S+)$/m.exec(rotated.stdout)?.[1];
    expect(newKid).toBeDefined();
    // The identity service reloads its keys every second; log in until it signs with the new one.
    let newToken = await signIn(email);
    for (let i = 0; i < 100 && decodeProtectedHeader(newToken).kid !== newKid; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      newToken = await signIn(email);
    }
    expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
    expect(decodeProtectedHeader(oldToken).kid).not.toBe(newKid);
    // A kid the verifier has not seen makes it refetch the key set (at most once per cooldown).
    let status = (await listOrders(newToken)).status;
    for (let i = 0; i < 20 && status !== 200; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = (await listOrders(newToken)).status;
    }
    expect(status).toBe(200);
    expect((await listOrders(oldToken)).status).toBe(200);
  });
});
