/**
 * Every authenticated call must go through the renewing client (`authorized` in api-client.ts): a call
 * that attaches the access token by itself signs the person out as soon as that token expires instead
 * of renewing it (the "resend the verification email" defect). This reads the web app's sources and
 * fails on any API call made another way.
 */
/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";

/** The web app's sources as text, keyed by their path from src/ (Vite reads them at test time). */
const FILES: Record<string, string> = Object.fromEntries(
  Object.entries(
    import.meta.glob<string>(["./**/*.ts", "!./**/*.test.ts"], {
      query: "?raw",
      import: "default",
      eager: true,
    }),
  ).map(([path, text]) => [path.replace(/^\.\//, ""), text]),
);
const CLIENT = "api-client.ts";

function source(file: string): string {
  const text = FILES[file];
  if (text === undefined) throw new Error(`${file} is not among the web app's sources`);
  return text;
}

/** The API routes a signed-out visitor may call: everything else needs the access token. */
const PUBLIC_ROUTES = new Set([
  "POST /v1/users",
  "POST /v1/users/login",
  "POST /v1/users/login/mfa",
  "POST /v1/users/login/mfa/webauthn/options",
  "POST /v1/users/passkeys/login/options",
  "POST /v1/users/passkeys/login",
  "POST /v1/users/token/refresh",
  "POST /v1/users/logout",
  "POST /v1/users/password-reset",
  "POST /v1/users/password-reset/confirm",
  "POST /v1/users/verify-email",
  "GET /v1/users/password-policy",
  "GET /v1/auth/providers",
  "POST /v1/auth/exchange",
]);

/** Routes that also serve a signed-out caller who names the address in the body (no token involved). */
const PUBLIC_WHEN_BY_EMAIL = new Set(["POST /v1/users/verify-email/resend"]);

function sources(): { file: string; text: string }[] {
  return Object.entries(FILES).map(([file, text]) => ({ file, text }));
}

interface RpcCall {
  route: string;
  wrapper: "authorized" | "send" | "none";
  line: number;
  /** The body names an address (`json: { email }`) and no header is passed: the signed-out form. */
  byEmail: boolean;
}

/** Each `rpc.v1….$method(` call in `text`, with the helper it is made through. */
function rpcCalls(text: string): RpcCall[] {
  const calls: RpcCall[] = [];
  const pattern = /rpc((?:\s*\.\s*[\w$]+|\s*\[\s*"[^"]+"\s*\])+)\s*\.\s*\$(get|post|patch|delete|put)\s*\(/g;
  for (const match of text.matchAll(pattern)) {
    const chain = match[1] ?? "";
    const segments = [...chain.matchAll(/\.\s*([\w$]+)|\[\s*"([^"]+)"\s*\]/g)].map(
      (segment) => segment[1] ?? segment[2] ?? "",
    );
    const route = `${(match[2] ?? "").toUpperCase()} /${segments.join("/")}`;
    const before = text.slice(0, match.index);
    const authorized = before.lastIndexOf("authorized(");
    const send = before.lastIndexOf("send(");
    // The nearest enclosing helper opened last; a call is inside it if its statement has not ended.
    const wrapper = authorized < 0 && send < 0 ? "none" : authorized > send ? "authorized" : "send";
    const opened = Math.max(authorized, send);
    const inside = opened >= 0 && !/;\s*\n/.test(text.slice(opened, match.index));
    const args = text.slice(match.index + match[0].length, text.indexOf(")", match.index + match[0].length));
    calls.push({
      route,
      wrapper: inside ? wrapper : "none",
      line: before.split("\n").length,
      byEmail: /^\{\s*json:\s*\{\s*email\s*\}\s*\}$/.test(args.trim()),
    });
  }
  return calls;
}

describe("every authenticated call renews its session", () => {
  const client = source(CLIENT);

  it("reads the whole app (pages included)", () => {
    expect(Object.keys(FILES)).toEqual(expect.arrayContaining(["main.ts", "session.ts", "pages/profile.ts"]));
  });

  it("finds the API calls it checks (the scan itself works)", () => {
    const calls = rpcCalls(client);
    expect(calls.length).toBeGreaterThan(30);
    expect(calls).toContainEqual(
      expect.objectContaining({ route: "GET /v1/users/me", wrapper: "authorized" }),
    );
    expect(calls).toContainEqual(
      expect.objectContaining({ route: "POST /v1/users/verify-email/resend", wrapper: "authorized" }),
    );
    // and it would catch the defect: a bearer call made through plain `send`
    const defect = `const response = await send(() =>\n  rpc.v1.users["verify-email"].resend.$post({ json: {} }, { headers: bearer() }),\n);`;
    expect(rpcCalls(defect)).toEqual([
      { route: "POST /v1/users/verify-email/resend", wrapper: "send", line: 2, byEmail: false },
    ]);
  });

  it("api-client.ts: a call outside `authorized` is one of the public routes", () => {
    const offenders = rpcCalls(client)
      .filter((call) => call.wrapper !== "authorized" && !PUBLIC_ROUTES.has(call.route))
      .filter((call) => !(call.byEmail && PUBLIC_WHEN_BY_EMAIL.has(call.route)))
      .map((call) => `${CLIENT}:${call.line} ${call.route} (through ${call.wrapper})`);
    expect(offenders).toEqual([]);
  });

  it("api-client.ts: the bearer header is built only inside `authorized`", () => {
    const uses = [...client.matchAll(/(?<!function )\bbearer\(\)/g)].map((match) =>
      client.slice(0, match.index),
    );
    expect(uses.length).toBeGreaterThan(0);
    for (const before of uses) {
      const fn = before.lastIndexOf("function ");
      expect(before.slice(fn, fn + 40)).toMatch(/^function authorized\b/);
    }
  });

  it("no other module talks to the API or handles a token", () => {
    const offenders: string[] = [];
    for (const { file, text } of sources()) {
      if (file === CLIENT) continue;
      for (const [pattern, what] of [
        [/\bfetch\s*\(/, "fetch("],
        [/XMLHttpRequest|sendBeacon|EventSource|WebSocket/, "another HTTP API"],
        [/\bhc\s*</, "a second RPC client"],
        [/authorization|bearer\s/i, "an Authorization header"],
        [/["'`]\/v1\//, "an API path"],
      ] as const) {
        if (pattern.test(text)) offenders.push(`${file}: ${what}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("no token in web storage: sessionStorage is unused, localStorage holds only the session hint", () => {
    const offenders: string[] = [];
    for (const { file, text } of sources()) {
      if (/sessionStorage/.test(text)) offenders.push(`${file}: sessionStorage`);
      if (/localStorage/.test(text) && file !== "session.ts") offenders.push(`${file}: localStorage`);
    }
    expect(offenders).toEqual([]);
    const session = source("session.ts");
    expect(session).toMatch(/setItem\(SESSION_HINT_KEY, "1"\)/);
    expect(session.match(/setItem\(/g)).toHaveLength(1);
  });
});
