/**
 * The whole provider sign-in over real HTTP against the built server, on Node and on Bun: authorize →
 * the real OpenID provider → the callback → the web app's landing with a one-time code → the exchange →
 * a working access token; and the code's second use refused.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestOidcProvider, type TestOidcProvider } from "./support/oidc-provider.js";
import { followProviderRedirects, setCookie } from "./support/provider-browser.js";
import { freePort, type RunningServer, startServer } from "./support/server-process.js";

describe.each(["node", "bun"] as const)("provider sign-in through a real %s server", (runtime) => {
  let idp: TestOidcProvider;
  let server: RunningServer;
  let dataDir: string;
  let baseUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    idp = await startTestOidcProvider({ redirectUris: [`${baseUrl}/v1/auth/corp/callback`] });
    dataDir = await mkdtemp(join(tmpdir(), "um-oidc-"));
    server = await startServer(
      {
        PORT: String(port),
        PUBLIC_URL: baseUrl,
        DATA_DIR: dataDir,
        BCRYPT_COST: "4",
        JWT_SECRET: "oidc-process-test-secret-0123456789abcdef",
        OIDC_PROVIDERS: "corp",
        OIDC_CORP_ISSUER: idp.issuer,
        OIDC_CORP_CLIENT_ID: idp.clientId,
        OIDC_CORP_CLIENT_SECRET: idp.clientSecret,
      },
      { runtime },
    );
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
    await idp?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("signs in end to end and never logs the client secret, a code or a token", async () => {
    const email = `process-${runtime}-${Date.now()}@example.com`;
    idp.signInAs({ sub: `process-${runtime}`, email, email_verified: true, name: "Process Test" });
    const authorize = await fetch(`${baseUrl}/v1/auth/corp/authorize`, { redirect: "manual" });
    expect(authorize.status).toBe(302);
    const flow = setCookie(authorize, "oidc_flow");
    const callbackUrl = await followProviderRedirects(
      authorize.headers.get("location") as string,
      `${baseUrl}/v1/auth/corp/callback`,
    );
    const callback = await fetch(callbackUrl, {
      redirect: "manual",
      headers: { cookie: `oidc_flow=${flow?.value}` },
    });
    expect(callback.status).toBe(302);
    // The flow cookie is cleared on the way out.
    expect(setCookie(callback, "oidc_flow")?.attributes).toMatch(/Max-Age=0/);
    const landing = new URL(callback.headers.get("location") as string);
    expect(landing.pathname).toBe("/oidc-callback");
    const code = new URLSearchParams(landing.hash.slice(1)).get("code") as string;
    const exchange = () =>
      fetch(`${baseUrl}/v1/auth/exchange`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ code }),
      });
    const first = await exchange();
    expect(first.status).toBe(200);
    const { access_token } = (await first.json()) as { access_token: string };
    const me = await fetch(`${baseUrl}/v1/users/me`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(((await me.json()) as { email: string }).email).toBe(email);
    expect((await exchange()).status).toBe(401);
    // The web app answers the landing path itself.
    expect((await fetch(`${baseUrl}/oidc-callback`, { headers: { accept: "text/html" } })).status).toBe(200);
    const output = server.output();
    expect(output).not.toContain(idp.clientSecret);
    expect(output).not.toContain(code);
    expect(output).not.toContain(access_token);
  });
});
