import { testDatabaseKinds, uniqueEmail } from "@app/core/testing";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { captureLogs, createTestApp } from "./support/test-app.js";

const SECRETS = {
  password: "plain-password-1",
  hash: "$2b$12$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUV12",
  token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
  secret: "jwt-secret-value-0123456789",
};

describe("log redaction", () => {
  it("censors passwords, hashes and tokens under any of their names, up to three levels deep", () => {
    const logs = captureLogs();
    const logger = createLogger({ env: "test", logLevel: "info" }, logs.stream);
    logger.info(
      {
        password: SECRETS.password,
        hashedPassword: SECRETS.hash,
        access_token: SECRETS.token,
        user: { hashed_password: SECRETS.hash, passwordHash: SECRETS.hash, new_password: SECRETS.password },
        req: { headers: { authorization: `Bearer ${SECRETS.token}`, cookie: `s=${SECRETS.token}` } },
        body: { refresh_token: SECRETS.token, current_password: SECRETS.password, jwt: SECRETS.token },
        config: { JWT_SECRET: SECRETS.secret, secret: SECRETS.secret },
      },
      "everything secret",
    );
    logger.child({ token: SECRETS.token }).warn({ err: { password: SECRETS.password } }, "child");
    const output = logs.lines.join("\n");
    for (const value of Object.values(SECRETS)) expect(output).not.toContain(value);
    expect(output).toContain("[redacted]");
    expect(logs.lines).toHaveLength(2);
  });

  it("request lines carry request id, user id, route template, status and latency; no secret from a real flow", async () => {
    const t = await createTestApp("pglite");
    try {
      const password = "logged flow password 42";
      const email = `flow-${Date.now()}@example.com`;
      await t.register(email, password);
      const token = await t.login(email, password);
      await t.request("/v1/users/login", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "x-request-id": "form-login-1" },
        body: new URLSearchParams({ username: email, password }).toString(),
      });
      await t.request("/v1/users/me", {
        headers: { authorization: `Bearer ${token}`, "x-request-id": "me-1" },
      });
      await t.postJson("/v1/users/login", { email, password: "wrong but secret 99" });
      const lines = t.logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const login = lines.find((l) => l.requestId === "form-login-1");
      expect(login).toMatchObject({ route: "/v1/users/login", status: 200, method: "POST", msg: "request" });
      expect(login?.userId).toEqual(expect.any(String));
      expect(login?.durationMs).toEqual(expect.any(Number));
      expect(lines.find((l) => l.requestId === "me-1")).toMatchObject({ route: "/v1/users/me", status: 200 });
      const output = t.logs.lines.join("\n");
      for (const secret of [password, token, "wrong but secret 99"]) expect(output).not.toContain(secret);
      expect(output).not.toMatch(/\$2[aby]\$/);
    } finally {
      await t.dispose();
    }
  });
});

describe.each(testDatabaseKinds)("an untranslated database error (%s)", (kind) => {
  it("logs its SQLSTATE and stack frames, never the query parameters (email, bcrypt hash) nor a message", async () => {
    const t = await createTestApp(kind);
    try {
      // A constraint the repository does not translate: the insert fails with 23514 and its parameters
      // (the email and the fresh bcrypt hash) are in the driver's and Drizzle's messages.
      await t.database.db.execute(
        "alter table users add constraint reject_test_name check (full_name is distinct from 'Rejected Name')",
      );
      const email = uniqueEmail("leak");
      const response = await t.postJson(
        "/v1/users/",
        { email, password: "correct horse battery", full_name: "Rejected Name" },
        { "x-request-id": "untranslated-1" },
      );
      expect(response.status).toBe(500);
      const failures = t.logs.lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.requestId === "untranslated-1" && l.msg === "request failed");
      expect(failures).toHaveLength(1);
      const output = JSON.stringify(failures);
      expect(failures[0]?.sqlState).toBe("23514");
      expect(output).toContain("    at ");
      expect(output).not.toContain(email);
      expect(output).not.toContain(email.split("@")[0]);
      expect(output).not.toMatch(/\$2[aby]\$/);
      expect(output).not.toContain("Rejected Name");
      expect(output).not.toMatch(/insert into|params:|reject_test_name/i);
      expect(t.logs.lines.join("\n")).not.toContain(email);
    } finally {
      await t.dispose();
    }
  });
});
