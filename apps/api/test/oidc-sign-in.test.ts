/**
 * Signing in through identity providers over HTTP, against a real OpenID provider (oidc-provider) and a
 * GitHub-like OAuth stub: the flow, its protocol checks (state, code replay, nonce, audience, expiry,
 * signature), the linking rules, second factors after the callback, and unlinking.
 */
import { auditEvents, createIdentityService, outbox } from "@app/core";
import { openTestDatabase, testDatabaseKinds, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFlowCookieSealer } from "../src/oidc/flow-cookie.js";
import type { OidcProviderSettings } from "../src/oidc/oidc-settings.js";
import { createIdentityProviders } from "../src/oidc/relying-party.js";
import { type GithubStub, startGithubStub } from "./support/github-stub.js";
import { startTestOidcProvider, type TestAccount, type TestOidcProvider } from "./support/oidc-provider.js";
import { expectProblem } from "./support/problem.js";
import { followProviderRedirects, setCookie } from "./support/provider-browser.js";
import { createTestApp, TEST_SECRET, type TestApp, type TokenBody } from "./support/test-app.js";
import { jwtClaims, manualClock, totpCode } from "./support/totp.js";

const PUBLIC_URL = "http://app.test";
const PASSWORD = "correct horse battery";
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
let subjects = 0;
const account = (overrides: Partial<TestAccount> = {}): TestAccount => ({
  sub: `subject-${Date.now()}-${++subjects}`,
  email: uniqueEmail("idp"),
  email_verified: true,
  name: "Grace Hopper",
  ...overrides,
});

describe.each(testDatabaseKinds)("sign-in through identity providers on %s", (kind) => {
  let t: TestApp;
  let idp: TestOidcProvider;
  let github: GithubStub;
  const clock = manualClock(Date.now());

  beforeAll(async () => {
    idp = await startTestOidcProvider({
      redirectUris: ["corp", "trusted"].map((id) => `${PUBLIC_URL}/v1/auth/${id}/callback`),
    });
    github = await startGithubStub();
    const oidc = (id: string, trust: boolean): OidcProviderSettings => ({
      id,
      kind: "oidc",
      name: id === "corp" ? "Corp SSO" : "Trusted SSO",
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientSecret: idp.clientSecret,
      scopes: ["openid", "email", "profile"],
      trustEmail: trust,
      trustAmr: trust,
      allowInsecureRequests: true,
    });
    const test = await openTestDatabase(kind);
    t = await createTestApp(
      kind,
      {
        oidc: {
          providers: createIdentityProviders([
            oidc("corp", false),
            oidc("trusted", true),
            {
              id: "github",
              kind: "github",
              name: "GitHub",
              clientId: github.clientId,
              clientSecret: github.clientSecret,
              scopes: ["read:user", "user:email"],
              trustEmail: false,
              trustAmr: false,
              github: {
                authorizationUrl: `${github.url}/login/oauth/authorize`,
                tokenUrl: `${github.url}/login/oauth/access_token`,
                apiUrl: `${github.url}/api`,
              },
              allowInsecureRequests: true,
            },
          ]),
          identities: createIdentityService({ db: test.database.db }),
          flowCookies: createFlowCookieSealer(TEST_SECRET),
          publicUrl: PUBLIC_URL,
        },
      },
      { database: test, mfaNow: clock.now },
    );
  });
  afterAll(async () => {
    // The database was handed in, and t.dispose() closes it.
    await t?.dispose();
    await idp?.close();
    await github?.close();
  });

  /** The browser's trip: authorize → the provider → our callback; returns what the callback did. */
  async function roundTrip(
    provider: string,
    query: Record<string, string> = {},
    headers: Record<string, string> = {},
  ) {
    const authorize = await t.request(`/v1/auth/${provider}/authorize?${new URLSearchParams(query)}`, {
      headers,
    });
    expect(authorize.status, await authorize.clone().text()).toBe(302);
    const flow = setCookie(authorize, "oidc_flow");
    if (!flow) throw new Error("no flow cookie");
    const location = authorize.headers.get("location") as string;
    const callbackUrl = await followProviderRedirects(location, `${PUBLIC_URL}/v1/auth/${provider}/callback`);
    const callbackPath = callbackUrl.slice(PUBLIC_URL.length);
    const callback = (path = callbackPath, cookie = flow.value) =>
      t.request(path, { headers: { cookie: `oidc_flow=${cookie}` } });
    const response = await callback();
    return { authorize, flow, location, callbackPath, response, landing: landingOf(response), callback };
  }

  function landingOf(response: Response) {
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get("location") as string);
    expect(location.origin + location.pathname).toBe(`${PUBLIC_URL}/oidc-callback`);
    expect(location.search).toBe("");
    return new URLSearchParams(location.hash.slice(1));
  }

  const exchange = (code: string) => t.postJson("/v1/auth/exchange", { code });

  async function signInWith(provider: string, who: TestAccount): Promise<Response> {
    idp.signInAs(who);
    const { landing } = await roundTrip(provider);
    const code = landing.get("code");
    if (!code) throw new Error(`no login code: ${landing}`);
    return exchange(code);
  }

  async function linkWith(token: string, provider: string, who: TestAccount) {
    const ticket = await t.postJson(`/v1/auth/${provider}/link-ticket`, {}, bearer(token));
    expect(ticket.status).toBe(200);
    const { authorize_url } = (await ticket.json()) as { authorize_url: string };
    const cookie = setCookie(ticket, "oidc_link");
    expect(cookie?.attributes).toMatch(/HttpOnly/);
    expect(cookie?.attributes).toMatch(/SameSite=Strict/);
    expect(authorize_url).not.toContain(cookie?.value);
    idp.signInAs(who);
    const query = Object.fromEntries(new URL(authorize_url, PUBLIC_URL).searchParams);
    return roundTrip(provider, query, { cookie: `oidc_link=${cookie?.value}` });
  }

  const identitiesOf = async (token: string) =>
    (
      (await (await t.request("/v1/users/me/identities", { headers: bearer(token) })).json()) as {
        items: { id: string; provider: string; provider_name: string; email: string | null }[];
      }
    ).items;

  it("lists the providers publicly, and answers an unknown provider with a 404 problem", async () => {
    const list = await t.request("/v1/auth/providers");
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({
      items: [
        { id: "corp", name: "Corp SSO" },
        { id: "trusted", name: "Trusted SSO" },
        { id: "github", name: "GitHub" },
      ],
    });
    await expectProblem(await t.request("/v1/auth/nope/authorize"), 404);
    await expectProblem(await t.request("/v1/auth/nope/callback?code=x&state=y"), 404);
    await expectProblem(await t.postJson("/v1/auth/nope/link-ticket", {}, bearer("x")), 401);
  });

  it("authorize sends PKCE S256, state and nonce, and seals them into an HttpOnly, Lax cookie scoped to the callback", async () => {
    const response = await t.request("/v1/auth/corp/authorize");
    expect(response.status).toBe(302);
    const target = new URL(response.headers.get("location") as string);
    expect(target.origin).toBe(idp.issuer);
    expect(target.searchParams.get("code_challenge_method")).toBe("S256");
    expect(target.searchParams.get("redirect_uri")).toBe(`${PUBLIC_URL}/v1/auth/corp/callback`);
    for (const name of ["state", "nonce", "code_challenge"])
      expect(target.searchParams.get(name)?.length).toBeGreaterThanOrEqual(22);
    const cookie = setCookie(response, "oidc_flow");
    expect(cookie?.attributes).toMatch(/HttpOnly/);
    expect(cookie?.attributes).toMatch(/SameSite=Lax/);
    expect(cookie?.attributes).toMatch(/Path=\/v1\/auth\/corp\/callback/);
    expect(cookie?.attributes).toMatch(/Max-Age=600/);
    // Encrypted: neither the state nor the verifier can be read out of it.
    expect(cookie?.value.split(".")).toHaveLength(5);
    expect(cookie?.value).not.toContain(target.searchParams.get("state"));
  });

  it("refuses a return_to that would leave the site", async () => {
    for (const returnTo of ["//evil.example/x", "https://evil.example", "/\\evil.example", "evil", "/a b"]) {
      await expectProblem(
        await t.request(`/v1/auth/corp/authorize?${new URLSearchParams({ return_to: returnTo })}`),
        422,
      );
    }
  });

  it("signs up through the provider and lands on the web app with a one-time code, never a token", async () => {
    const who = account();
    idp.signInAs(who);
    const { landing, response } = await roundTrip("corp", { return_to: "/profile" });
    expect(landing.get("return_to")).toBe("/profile");
    expect(response.headers.get("location")).not.toMatch(/access_token|refresh_token|eyJ/);
    const code = landing.get("code") as string;
    // Raced: of several exchanges of one code, exactly one signs in.
    const answers = await Promise.all(Array.from({ length: 4 }, () => exchange(code)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401, 401, 401]);
    const ok = answers.find((a) => a.status === 200) as Response;
    const tokens = (await ok.json()) as TokenBody;
    expect(ok.headers.get("cache-control")).toBe("no-store");
    const me = (await (await t.me(tokens.access_token)).json()) as {
      id: string;
      email: string;
      email_verified: boolean;
    };
    expect(me.email).toBe(who.email);
    expect(me.email_verified).toBe(true);
    for (const refused of answers.filter((a) => a.status === 401)) {
      expect((await expectProblem(refused, 401)).type).toBe("/problems/invalid-login-code");
    }
    // The account has no password: no password signs in to it.
    await expectProblem(await t.postJson("/v1/users/login", { email: who.email, password: PASSWORD }), 401);
    const events = (await t.database.db.select().from(auditEvents)).filter((e) => e.userId === me.id);
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(["user.registered", "identity.linked", "login.succeeded"]),
    );
    expect(events.find((e) => e.type === "login.succeeded")?.details).toMatchObject({
      method: "provider:corp",
    });
    const mail = (await t.database.db.select().from(outbox)).filter((m) => m.recipient === me.email);
    expect(mail.map((m) => m.kind)).toContain("provider_account_created");
    // Signing in again finds the same account by subject.
    const again = await signInWith("corp", who);
    expect(again.status).toBe(200);
    const second = (await (await t.me(((await again.json()) as TokenBody).access_token)).json()) as {
      id: string;
    };
    expect(second.id).toBe(me.id);
  });

  it("refuses a callback whose state is not the one in the flow cookie, or that has no cookie", async () => {
    idp.signInAs(account());
    const { location, callbackPath, flow, callback } = await roundTrip("corp");
    expect(location).toBeTruthy();
    const forged = callbackPath.replace(/state=[^&]+/, "state=forged-state-value");
    expect(landingOf(await callback(forged)).get("error")).toBe("invalid_state");
    expect(landingOf(await t.request(callbackPath)).get("error")).toBe("invalid_state");
    expect(landingOf(await callback(callbackPath, `${flow.value}x`)).get("error")).toBe("invalid_state");
    // A flow begun for one provider does not finish at another's callback.
    const elsewhere = callbackPath.replace("/corp/", "/trusted/");
    expect(landingOf(await callback(elsewhere)).get("error")).toBe("invalid_state");
  });

  it("refuses a replayed provider code", async () => {
    const who = account();
    idp.signInAs(who);
    const { landing, callback } = await roundTrip("corp");
    expect(landing.get("code")).toBeTruthy();
    expect(landingOf(await callback()).get("error")).toBe("token_rejected");
  });

  it.each([
    [
      "a wrong nonce",
      (claims: Record<string, unknown>) => ({ ...claims, nonce: "someone-elses-nonce" }),
      false,
      'unexpected ID Token "nonce" claim value',
    ],
    [
      "another audience",
      (claims: Record<string, unknown>) => ({ ...claims, aud: "another-client" }),
      false,
      'unexpected JWT "aud" (audience) claim value',
    ],
    [
      "an expired token",
      (claims: Record<string, unknown>) => ({
        ...claims,
        iat: Math.floor(Date.now() / 1000) - 7200,
        exp: Math.floor(Date.now() / 1000) - 3600,
      }),
      false,
      '"exp" (expiration time) claim value',
    ],
    [
      "another issuer",
      (claims: Record<string, unknown>) => ({ ...claims, iss: "http://127.0.0.1:1" }),
      false,
      'unexpected JWT "iss" (issuer) claim value',
    ],
    [
      "a signature by another key",
      (claims: Record<string, unknown>) => claims,
      true,
      "JWT signature verification failed",
    ],
  ] as const)("refuses an ID token with %s", async (_case, change, foreignKey, check) => {
    const who = account();
    idp.signInAs(who);
    idp.tamperNextIdToken(change, { foreignKey });
    const { landing } = await roundTrip("corp");
    expect(landing.get("error")).toBe("token_rejected");
    expect(landing.get("code")).toBeNull();
    const refusal = t.logs.lines.filter((line) => line.includes("identity provider sign-in refused")).at(-1);
    expect((JSON.parse(refusal ?? "{}") as { check?: string }).check).toContain(check);
    expect(t.logs.lines.join("\n")).not.toContain("eyJ");
  });

  it("never attaches a verified email of an existing account silently; TRUST_EMAIL does; an unverified one never", async () => {
    const email = uniqueEmail("existing");
    const { id } = await t.register(email, PASSWORD);
    idp.signInAs(account({ email }));
    expect((await roundTrip("corp")).landing.get("error")).toBe("account_exists");
    const token = await t.login(email);
    expect(await identitiesOf(token)).toEqual([]);

    // TRUST_EMAIL attaches only an account whose own email is verified too.
    idp.signInAs(account({ email }));
    expect((await roundTrip("trusted")).landing.get("error")).toBe("account_exists");
    const verification = await t.deps.recovery.requestEmailVerification(id);
    await t.deps.recovery.verifyEmail(verification?.token as string);
    const trusted = await signInWith("trusted", account({ email }));
    expect(trusted.status).toBe(200);
    const me = (await (await t.me(((await trusted.json()) as TokenBody).access_token)).json()) as {
      id: string;
    };
    expect(me.id).toBe(id);
    expect((await identitiesOf(token)).map((i) => i.provider)).toEqual(["trusted"]);

    for (const provider of ["corp", "trusted"]) {
      idp.signInAs(account({ email, email_verified: false }));
      expect((await roundTrip(provider)).landing.get("error")).toBe("email_unverified");
      idp.signInAs(account({ email: uniqueEmail("fresh"), email_verified: false }));
      expect((await roundTrip(provider)).landing.get("error")).toBe("email_unverified");
    }
  });

  it("asks for the account's second factor after the callback, unless a trusted provider asserted MFA", async () => {
    const email = uniqueEmail("mfa");
    await t.register(email, PASSWORD);
    const token = await t.login(email);
    const setup = (await (
      await t.postJson("/v1/users/me/mfa/totp/setup", { current_password: PASSWORD }, bearer(token))
    ).json()) as { secret: string };
    const confirm = await t.postJson(
      "/v1/users/me/mfa/totp/confirm",
      { code: totpCode(setup.secret, clock.now()) },
      bearer(token),
    );
    expect(confirm.status).toBe(200);
    clock.advanceSteps(1);
    const fresh = await t.login(email).catch(() => undefined);
    expect(fresh).toBeUndefined(); // the password alone no longer signs in
    const corp = account({ amr: ["pwd", "otp", "mfa"] });
    const trusted = account({ amr: ["pwd", "otp", "mfa"] });
    // Link both while the old token is still good.
    expect((await linkWith(token, "corp", corp)).landing.get("linked")).toBe("corp");
    expect((await linkWith(token, "trusted", trusted)).landing.get("linked")).toBe("trusted");

    // corp's amr is not trusted: the second step follows, exactly as after a password.
    const step = await signInWith("corp", corp);
    const problem = (await expectProblem(step, 403)) as unknown as {
      type: string;
      mfa_token: string;
      methods: string[];
    };
    expect(problem.type).toBe("/problems/mfa-required");
    expect(problem.methods).toContain("totp");
    const finished = await t.postJson("/v1/users/login/mfa", {
      mfa_token: problem.mfa_token,
      code: totpCode(setup.secret, clock.now()),
    });
    expect(finished.status).toBe(200);

    // trusted's operator trusts its amr: the provider's MFA stands for ours.
    const direct = await signInWith("trusted", trusted);
    expect(direct.status).toBe(200);
    expect(jwtClaims(((await direct.json()) as TokenBody).access_token).amr).toEqual(
      expect.arrayContaining(["mfa"]),
    );
    // Without an MFA claim, even the trusted provider gets the second step.
    const weak = await signInWith("trusted", { ...trusted, amr: ["pwd"] });
    expect((await expectProblem(weak, 403)).type).toBe("/problems/mfa-required");
  });

  it("links and unlinks from the profile, and refuses to unlink the last way to sign in", async () => {
    // An account made through the provider: its identity is its only way in.
    const who = account();
    const signedIn = await signInWith("corp", who);
    const token = ((await signedIn.json()) as TokenBody).access_token;
    const [only] = await identitiesOf(token);
    expect(only).toMatchObject({ provider: "corp", provider_name: "Corp SSO", email: who.email });
    const refused = await t.request(`/v1/users/me/identities/${only?.id}`, {
      method: "DELETE",
      headers: bearer(token),
    });
    expect((await expectProblem(refused, 409)).type).toBe("/problems/last-sign-in-method");

    // A second identity (GitHub) makes the first removable.
    github.signInAs({
      id: 4242 + subjects,
      login: "grace",
      name: null,
      emails: [{ email: uniqueEmail("gh"), primary: true, verified: true }],
    });
    const issued = await t.postJson("/v1/auth/github/link-ticket", {}, bearer(token));
    const ticket = (await issued.json()) as { authorize_url: string };
    const linkCookie = `oidc_link=${setCookie(issued, "oidc_link")?.value}`;
    // Without the cookie (a link another site made the browser follow) there is nothing to link to.
    await expectProblem(await t.request(ticket.authorize_url), 401);
    const { landing } = await roundTrip(
      "github",
      Object.fromEntries(new URL(ticket.authorize_url, PUBLIC_URL).searchParams),
      { cookie: linkCookie },
    );
    expect(landing.get("linked")).toBe("github");
    // The ticket was single use.
    await expectProblem(await t.request(ticket.authorize_url, { headers: { cookie: linkCookie } }), 401);
    expect((await identitiesOf(token)).map((i) => i.provider)).toEqual(["corp", "github"]);
    const removed = await t.request(`/v1/users/me/identities/${only?.id}`, {
      method: "DELETE",
      headers: bearer(token),
    });
    expect(removed.status).toBe(204);
    expect((await identitiesOf(token)).map((i) => i.provider)).toEqual(["github"]);
    await expectProblem(
      await t.request(`/v1/users/me/identities/${only?.id}`, { method: "DELETE", headers: bearer(token) }),
      404,
    );
    const me = (await (await t.me(token)).json()) as { id: string; email: string };
    const types = (await t.database.db.select().from(auditEvents))
      .filter((e) => e.userId === me.id)
      .map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["identity.linked", "identity.unlinked"]));
    const kinds = (await t.database.db.select().from(outbox))
      .filter((m) => m.recipient === me.email)
      .map((m) => m.kind);
    expect(kinds).toEqual(expect.arrayContaining(["identity_linked", "identity_unlinked"]));

    // Linking an identity another account holds is refused.
    const other = uniqueEmail("other");
    await t.register(other, PASSWORD);
    const otherToken = await t.login(other);
    // corp's identity was unlinked above, so it is free for another account now.
    const taken = await linkWith(otherToken, "corp", who);
    expect(taken.landing.get("linked")).toBe("corp");
    const again = await linkWith(token, "corp", who);
    expect(again.landing.get("error")).toBe("identity_taken");
  });

  it("signs in through the GitHub preset with the verified primary email only", async () => {
    const email = uniqueEmail("octo");
    github.signInAs({
      id: 9_000_000 + subjects,
      login: "octocat",
      name: "The Octocat",
      emails: [
        { email: uniqueEmail("secondary"), primary: false, verified: true },
        { email, primary: true, verified: true },
      ],
    });
    const { landing } = await roundTrip("github");
    const answer = await exchange(landing.get("code") as string);
    expect(answer.status).toBe(200);
    const me = (await (await t.me(((await answer.json()) as TokenBody).access_token)).json()) as {
      email: string;
      full_name: string;
    };
    expect(me).toMatchObject({ email, full_name: "The Octocat" });

    github.signInAs({
      id: 9_100_000 + subjects,
      login: "unverified",
      name: null,
      emails: [{ email: uniqueEmail("unverified"), primary: true, verified: false }],
    });
    expect((await roundTrip("github")).landing.get("error")).toBe("email_unverified");
  });

  it("refuses a deactivated account after the callback", async () => {
    const who = account();
    const first = await signInWith("corp", who);
    const me = (await (await t.me(((await first.json()) as TokenBody).access_token)).json()) as {
      id: string;
    };
    await t.deps.users.adminUpdateUser(me.id, { isActive: false });
    idp.signInAs(who);
    expect((await roundTrip("corp")).landing.get("error")).toBe("account_inactive");
  });
});
