import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "./support/problem.js";
import { createTestApp, type TestApp } from "./support/test-app.js";

/**
 * What each route can answer. Every status here is exercised by the route tests beside each
 * `<resource>.routes.ts` (register, sessions, me, user-sessions, audit-events, recovery, admin,
 * password-policy), rate-limit.test.ts, hardening-http.test.ts and jwks.test.ts, and 503 by the
 * closed-database test below; the document must list exactly these, no more (a promise the route cannot
 * keep) and no fewer.
 */
const STATUSES: Record<string, number[]> = {
  "GET /health": [200],
  "GET /ready": [200, 503],
  "GET /metrics": [200],
  "GET /.well-known/jwks.json": [200],
  "POST /v1/users": [201, 400, 409, 413, 415, 422, 429, 503],
  "POST /v1/users/login": [200, 400, 401, 403, 413, 415, 422, 429, 503],
  "POST /v1/users/token/refresh": [200, 400, 401, 403, 413, 415, 422, 429, 503],
  "POST /v1/users/logout": [204, 400, 403, 413, 415, 422, 503],
  "POST /v1/users/logout-all": [204, 401, 403, 503],
  "GET /v1/users/me": [200, 401, 503],
  "PATCH /v1/users/me": [200, 400, 401, 409, 413, 415, 422, 429, 503],
  "DELETE /v1/users/me": [204, 401, 409, 503],
  "POST /v1/users/me/password": [204, 400, 401, 413, 415, 422, 429, 503],
  "POST /v1/users/password-reset": [202, 400, 413, 415, 422, 429, 503],
  "POST /v1/users/password-reset/confirm": [204, 400, 413, 415, 422, 429, 503],
  "POST /v1/users/verify-email": [204, 400, 413, 415, 422, 429, 503],
  "POST /v1/users/verify-email/resend": [202, 400, 401, 413, 415, 422, 429, 503],
  "GET /v1/users/password-policy": [200],
  "GET /v1/users": [200, 401, 403, 422, 503],
  "GET /v1/users/{id}": [200, 401, 403, 404, 422, 503],
  "PATCH /v1/users/{id}": [200, 400, 401, 403, 404, 409, 413, 415, 422, 503],
  "DELETE /v1/users/{id}": [204, 401, 403, 404, 409, 422, 503],
  "GET /v1/users/me/sessions": [200, 401, 503],
  "DELETE /v1/users/me/sessions/{id}": [204, 401, 404, 422, 503],
  "GET /v1/users/{id}/sessions": [200, 401, 403, 404, 422, 503],
  "DELETE /v1/users/{id}/sessions/{sid}": [204, 401, 403, 404, 422, 503],
  "GET /v1/users/me/events": [200, 401, 422, 503],
  "GET /v1/audit-events": [200, 401, 403, 422, 503],
  // Second factors and passkeys: mfa-totp.test.ts, mfa-passkeys.test.ts.
  "GET /v1/users/me/mfa": [200, 401, 503],
  "POST /v1/users/me/mfa/totp/setup": [200, 400, 401, 409, 413, 415, 422, 429, 503],
  "POST /v1/users/me/mfa/totp/confirm": [200, 400, 401, 409, 413, 415, 422, 503],
  "POST /v1/users/me/mfa/totp/disable": [204, 400, 401, 409, 413, 415, 422, 429, 503],
  "POST /v1/users/me/mfa/recovery-codes": [200, 400, 401, 409, 413, 415, 422, 429, 503],
  "POST /v1/users/login/mfa": [200, 400, 401, 403, 413, 415, 422, 429, 503],
  "POST /v1/users/login/mfa/webauthn/options": [200, 400, 401, 413, 415, 422, 429, 503],
  "POST /v1/users/me/passkeys/options": [200, 401, 503],
  "POST /v1/users/me/passkeys": [201, 400, 401, 413, 415, 422, 503],
  "GET /v1/users/me/passkeys": [200, 401, 503],
  "PATCH /v1/users/me/passkeys/{id}": [200, 400, 401, 404, 413, 415, 422, 503],
  "DELETE /v1/users/me/passkeys/{id}": [204, 401, 404, 422, 503],
  "POST /v1/users/passkeys/login/options": [200, 429, 503],
  "POST /v1/users/passkeys/login": [200, 400, 401, 403, 413, 415, 422, 429, 503],
  "DELETE /v1/users/{id}/mfa": [204, 401, 403, 404, 422, 503],
  // Identity providers: oidc-sign-in.test.ts.
  "GET /v1/auth/providers": [200],
  "GET /v1/auth/{provider}/authorize": [302, 401, 404, 422, 429, 503],
  "GET /v1/auth/{provider}/callback": [302, 404, 429, 503],
  "POST /v1/auth/exchange": [200, 400, 401, 403, 413, 415, 422, 429, 503],
  "POST /v1/auth/{provider}/link-ticket": [200, 401, 404, 503],
  "GET /v1/users/me/identities": [200, 401, 503],
  "DELETE /v1/users/me/identities/{id}": [204, 401, 404, 409, 503],
};
const PUBLIC = new Set([
  "GET /health",
  "GET /ready",
  "GET /metrics",
  "GET /.well-known/jwks.json",
  "POST /v1/users",
  "POST /v1/users/login",
  "POST /v1/users/token/refresh",
  "POST /v1/users/logout",
  "POST /v1/users/password-reset",
  "POST /v1/users/password-reset/confirm",
  "POST /v1/users/verify-email",
  "GET /v1/users/password-policy",
  "POST /v1/users/login/mfa",
  "POST /v1/users/login/mfa/webauthn/options",
  "POST /v1/users/passkeys/login/options",
  "POST /v1/users/passkeys/login",
  "GET /v1/auth/providers",
  "GET /v1/auth/{provider}/authorize",
  "GET /v1/auth/{provider}/callback",
  "POST /v1/auth/exchange",
]);
/** Signed in or not: a Bearer token when present, otherwise the body says whom it is for. */
const OPTIONAL_BEARER = new Set(["POST /v1/users/verify-email/resend"]);
/** The documentation serves itself; it is not part of the API it documents. */
const DOCUMENTATION_ROUTES = new Set([
  "GET /openapi.json",
  "GET /docs",
  "GET /docs/scalar.js",
  "GET /docs/init.js",
]);

type Operation = {
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, unknown> };
  parameters?: { name: string; in: string }[];
};
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, Record<string, unknown>>; schemas: Record<string, unknown> };
};

const toOpenApiPath = (path: string) =>
  (path.length > 1 ? path.replace(/\/$/, "") : path).replace(/:([A-Za-z0-9_]+)/g, "{$1}");

describe("GET /openapi.json", () => {
  let t: TestApp;
  let doc: Document;
  beforeAll(async () => {
    t = await createTestApp("pglite");
    const response = await t.request("/openapi.json");
    expect(response.status).toBe(200);
    doc = (await response.json()) as Document;
  });
  afterAll(async () => {
    await t.dispose();
  });

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
    );

  it("is a valid OpenAPI 3.1 document", async () => {
    const validator = new Validator();
    const result = await validator.validate(doc as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("documents every route the app serves, and nothing it does not", () => {
    const served = new Set(
      t.app.routes
        .filter((route) => route.method !== "ALL")
        .map((route) => `${route.method} ${toOpenApiPath(route.path)}`)
        .filter((key) => !DOCUMENTATION_ROUTES.has(key)),
    );
    const documented = new Set(operations().map((o) => o.key));
    expect([...documented].sort()).toEqual([...served].sort());
    expect([...documented].sort()).toEqual(Object.keys(STATUSES).sort());
  });

  it("lists for each route exactly the statuses it can return, errors as problem+json", () => {
    for (const { key, op } of operations()) {
      const statuses = Object.keys(op.responses)
        .map(Number)
        .sort((a, b) => a - b);
      expect({ key, statuses }).toEqual({ key, statuses: STATUSES[key] });
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) >= 400)
          expect(Object.keys(response.content ?? {}), `${key} ${status}`).toEqual([
            "application/problem+json",
          ]);
        if (Number(status) === 204) expect(response.content, `${key} 204`).toBeUndefined();
      }
    }
  });

  it("documents the web app's cookie mode: the X-Token-Delivery header and the cookie-mode body", () => {
    for (const key of [
      "POST /v1/users/login",
      "POST /v1/users/login/mfa",
      "POST /v1/users/passkeys/login",
      "POST /v1/users/token/refresh",
      "POST /v1/users/logout",
      "POST /v1/users/logout-all",
    ]) {
      const op = operations().find((o) => o.key === key)?.op;
      expect(
        op?.parameters?.map((p) => `${p.in}:${p.name}`),
        key,
      ).toContain("header:x-token-delivery");
      expect(Object.keys(op?.responses ?? {}), key).toContain("403");
    }
    expect(doc.components.schemas).toHaveProperty("CookieTokenResponse");
  });

  it("lists 403 for login and refresh when REQUIRE_VERIFIED_EMAIL is on", async () => {
    const strict = await createTestApp("pglite", { requireVerifiedEmail: true });
    try {
      const strictDoc = (await (await strict.request("/openapi.json")).json()) as Document;
      for (const path of ["/v1/users/login", "/v1/users/token/refresh"]) {
        const operation = strictDoc.paths[path]?.post;
        expect(Object.keys(operation?.responses ?? {}), path).toContain("403");
        expect(Object.keys(operation?.responses["403"]?.content ?? {}), path).toEqual([
          "application/problem+json",
        ]);
      }
    } finally {
      await strict.dispose();
    }
  });

  it("marks every protected route with the bearer and OAuth2 password schemes", () => {
    expect(doc.components.securitySchemes).toEqual({
      bearerAuth: expect.objectContaining({ type: "http", scheme: "bearer", bearerFormat: "JWT" }),
      oauth2: expect.objectContaining({
        type: "oauth2",
        flows: { password: { tokenUrl: "/v1/users/login", scopes: {} } },
      }),
    });
    for (const { key, op } of operations()) {
      if (PUBLIC.has(key)) expect(op.security, key).toBeUndefined();
      else if (OPTIONAL_BEARER.has(key))
        expect(op.security, key).toEqual([{ bearerAuth: [] }, { oauth2: [] }, {}]);
      else expect(op.security, key).toEqual([{ bearerAuth: [] }, { oauth2: [] }]);
    }
  });

  it("describes request bodies, parameters and shapes from the validating schemas", () => {
    const op = (key: string) => operations().find((o) => o.key === key)?.op;
    expect(Object.keys(op("POST /v1/users/login")?.requestBody?.content ?? {}).sort()).toEqual([
      "application/json",
      "application/x-www-form-urlencoded",
    ]);
    for (const key of [
      "POST /v1/users",
      "PATCH /v1/users/me",
      "POST /v1/users/me/password",
      "PATCH /v1/users/{id}",
      "POST /v1/users/token/refresh",
      "POST /v1/users/logout",
      "POST /v1/users/password-reset",
      "POST /v1/users/password-reset/confirm",
      "POST /v1/users/verify-email",
      "POST /v1/users/verify-email/resend",
    ]) {
      expect(op(key)?.requestBody?.content, key).toHaveProperty("application/json");
    }
    expect(
      op("GET /v1/users")
        ?.parameters?.map((p) => `${p.in}:${p.name}`)
        .sort(),
    ).toEqual([
      "query:email_verified",
      "query:is_active",
      "query:is_superuser",
      "query:limit",
      "query:mfa_enabled",
      "query:offset",
      "query:order",
      "query:search",
      "query:sort",
    ]);
    expect(op("GET /v1/users/{id}")?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(["path:id"]);
    const schemas = doc.components.schemas as Record<
      string,
      { properties: Record<string, Record<string, unknown>> }
    >;
    expect(schemas.RegisterRequest?.properties.email).toMatchObject({ format: "email", maxLength: 254 });
    expect(schemas.UpdateMeRequest?.properties.email).toMatchObject({ format: "email" });
    expect(schemas.UpdateMeRequest?.properties.current_password).toMatchObject({ format: "password" });
    expect(Object.keys(schemas.AdminUpdateUserRequest?.properties ?? {}).sort()).toEqual([
      "email",
      "full_name",
      "is_active",
      "is_superuser",
      "password",
    ]);
    expect(Object.keys(schemas.UserPage?.properties ?? {}).sort()).toEqual([
      "items",
      "limit",
      "offset",
      "total",
    ]);
    expect(JSON.stringify(schemas.User)).not.toMatch(/password|hash/i);
    expect(Object.keys(schemas.TokenResponse?.properties ?? {}).sort()).toEqual([
      "access_token",
      "expires_in",
      "refresh_expires_in",
      "refresh_token",
      "token_type",
    ]);
    expect(Object.keys(schemas.RefreshTokenRequest?.properties ?? {})).toEqual(["refresh_token"]);
    expect(schemas.Problem).toBeDefined();
    // The login's 403 documents the second step's ticket beside the problem members.
    const mfaRequired = JSON.stringify(schemas.MfaRequiredProblem);
    for (const member of ["Problem", "mfa_token", "methods", "mfa_token_expires_in"])
      expect(mfaRequired).toContain(member);
    expect(schemas.PasswordPolicy).toMatchObject({
      required: ["min_length", "max_bytes"],
      properties: { min_length: { type: "integer" }, max_bytes: { type: "integer" } },
    });
  });
});

describe("GET /docs", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp("pglite");
  });
  afterAll(async () => {
    await t.dispose();
  });

  it("serves a page with no inline script, Scalar's bundle and its init script, all from this origin", async () => {
    const page = await t.request("/docs");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await page.text();
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((m) => m[1]?.trim())).toEqual(['src="/docs/scalar.js"', 'src="/docs/init.js"']);
    expect(scripts.every((m) => m[2] === "")).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('data-openapi-url="/openapi.json"');

    const bundle = await t.request("/docs/scalar.js");
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(await bundle.text()).toContain("createApiReference");
    const init = await t.request("/docs/init.js");
    expect(await init.text()).toContain("Scalar.createApiReference");
  });
});

describe("503 when the database is gone", () => {
  it("every route that touches the database answers 503 problem+json with Retry-After", async () => {
    const t = await createTestApp("postgres");
    const email = `gone-${Date.now()}@example.com`;
    await t.deps.users.ensureSuperuser({ email, password: "correct horse battery" });
    const token = await t.login(email);
    const id = "0190a5f0-0000-7000-8000-000000000000";
    await t.database.close();
    const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const requests: [string, string, Record<string, string>, unknown][] = [
      ["POST", "/v1/users", auth, { email: "x@example.com", password: "long enough" }],
      ["POST", "/v1/users/login", auth, { email, password: "long enough" }],
      ["POST", "/v1/users/token/refresh", auth, { refresh_token: "whatever" }],
      ["POST", "/v1/users/logout", auth, { refresh_token: "whatever" }],
      ["POST", "/v1/users/logout-all", auth, undefined],
      ["GET", "/v1/users/me", auth, undefined],
      ["PATCH", "/v1/users/me", auth, {}],
      ["DELETE", "/v1/users/me", auth, undefined],
      ["POST", "/v1/users/me/password", auth, { current_password: "x", new_password: "long enough" }],
      ["GET", "/v1/users", auth, undefined],
      ["GET", `/v1/users/${id}`, auth, undefined],
      ["PATCH", `/v1/users/${id}`, auth, {}],
      ["DELETE", `/v1/users/${id}`, auth, undefined],
      ["POST", "/v1/users/password-reset", auth, { email }],
      ["POST", "/v1/users/password-reset/confirm", auth, { token: "x", new_password: "long enough" }],
      ["POST", "/v1/users/verify-email", auth, { token: "x" }],
      ["POST", "/v1/users/verify-email/resend", auth, undefined],
      ["GET", "/v1/users/me/sessions", auth, undefined],
      ["DELETE", `/v1/users/me/sessions/${id}`, auth, undefined],
      ["GET", `/v1/users/${id}/sessions`, auth, undefined],
      ["DELETE", `/v1/users/${id}/sessions/${id}`, auth, undefined],
      ["GET", "/v1/users/me/events", auth, undefined],
      ["GET", "/v1/audit-events", auth, undefined],
    ];
    try {
      for (const [method, path, headers, body] of requests) {
        const response = await t.request(path, {
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        expect(`${method} ${path} ${response.status}`).toBe(`${method} ${path} 503`);
        await expectProblem(response, 503);
        expect(response.headers.get("retry-after")).toBe("5");
      }
    } finally {
      await t.dispose();
    }
  });
});
