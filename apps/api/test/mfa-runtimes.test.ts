import { openTestDatabase, type TestDatabase, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, runtimes, startServer } from "./support/server-process.js";
import { SoftwareAuthenticator } from "./support/software-authenticator.js";
import { jwtClaims, totpCode } from "./support/totp.js";

const PASSWORD = "correct horse battery";
const ORIGIN = "https://app.test";

/**
 * The TOTP and WebAuthn libraries do their own crypto (HMAC, ECDSA, CBOR): the built server must run
 * them on every runtime it ships for, not only under the test runner's Node.
 */
describe.each(runtimes)("second factors on the built %s server", (runtime) => {
  let server: RunningServer;
  let postgres: TestDatabase;

  beforeAll(async () => {
    postgres = await openTestDatabase("postgres", { poolSize: 1 });
    server = await startServer(
      {
        DATABASE_URL: postgres.url ?? "",
        BCRYPT_COST: "4",
        JWT_SECRET: "mfa-runtimes-test-secret-0123456789abcdef",
        PUBLIC_URL: ORIGIN,
      },
      { runtime, timeoutMs: 90_000 },
    );
  }, 120_000);

  afterAll(async () => {
    await server?.stop("SIGKILL");
    await postgres?.dispose();
  });

  const post = async (path: string, body: unknown, token?: string) => {
    const response = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      body: (await response.json().catch(() => ({}))) as Record<string, unknown>,
    };
  };

  async function signedIn() {
    const email = uniqueEmail("runtime-mfa");
    expect((await post("/v1/users", { email, password: PASSWORD })).status).toBe(201);
    const login = await post("/v1/users/login", { email, password: PASSWORD });
    return { email, token: String(login.body.access_token) };
  }

  it("sets up TOTP and finishes a login with a recovery code", async () => {
    const { email, token } = await signedIn();
    const setup = await post("/v1/users/me/mfa/totp/setup", { current_password: PASSWORD }, token);
    expect(setup.status).toBe(200);
    const confirm = await post(
      "/v1/users/me/mfa/totp/confirm",
      { code: totpCode(String(setup.body.secret), Date.now()) },
      token,
    );
    expect(confirm.status).toBe(200);
    const [recoveryCode] = confirm.body.recovery_codes as string[];

    const login = await post("/v1/users/login", { email, password: PASSWORD });
    expect(login).toMatchObject({ status: 403, body: { type: "/problems/mfa-required" } });
    const done = await post("/v1/users/login/mfa", {
      mfa_token: login.body.mfa_token,
      recovery_code: recoveryCode,
    });
    expect(done.status).toBe(200);
    expect(jwtClaims(String(done.body.access_token)).amr).toEqual(["pwd", "otp", "mfa"]);
  });

  it("registers a passkey and signs in with it alone", async () => {
    const { token } = await signedIn();
    const authenticator = new SoftwareAuthenticator(ORIGIN, "app.test");
    const options = await post("/v1/users/me/passkeys/options", {}, token);
    const created = await post(
      "/v1/users/me/passkeys",
      { response: authenticator.create(options.body) },
      token,
    );
    expect(created.status).toBe(201);
    const request = await post("/v1/users/passkeys/login/options", {});
    const done = await post("/v1/users/passkeys/login", { response: authenticator.get(request.body) });
    expect(done.status).toBe(200);
    expect(jwtClaims(String(done.body.access_token)).amr).toEqual(["hwk"]);
  });
});
