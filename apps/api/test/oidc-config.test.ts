import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

const strongSecret = "f3a9c2e7b14d6e8a0c5b9d2f7e1a4c6b8d0e2f4a6c8e0b2d";

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

/** Providers come from OIDC_PROVIDERS and OIDC_<ID>_*; a secret never appears in a configuration error. */
describe("loadConfig: identity providers (OIDC_*)", () => {
  it("configures none by default", () => {
    expect(loadConfig({}).oidc.providers).toEqual([]);
  });

  it("reads an OpenID Connect provider and the GitHub preset with its defaults", () => {
    const config = loadConfig({
      OIDC_PROVIDERS: "corp-sso, github",
      OIDC_CORP_SSO_ISSUER: "https://sso.example.com/realms/staff/",
      OIDC_CORP_SSO_CLIENT_ID: "um",
      OIDC_CORP_SSO_CLIENT_SECRET: "corp-secret",
      OIDC_CORP_SSO_NAME: "Staff SSO",
      OIDC_CORP_SSO_TRUST_EMAIL: "true",
      OIDC_CORP_SSO_TRUST_AMR: "true",
      OIDC_GITHUB_CLIENT_ID: "Iv1.abc",
      OIDC_GITHUB_CLIENT_SECRET: "gh-secret",
    });
    expect(config.oidc.providers).toEqual([
      {
        id: "corp-sso",
        kind: "oidc",
        name: "Staff SSO",
        issuer: "https://sso.example.com/realms/staff",
        clientId: "um",
        clientSecret: "corp-secret",
        scopes: ["openid", "email", "profile"],
        trustEmail: true,
        trustAmr: true,
        github: undefined,
        allowInsecureRequests: true,
      },
      {
        id: "github",
        kind: "github",
        name: "GitHub",
        issuer: undefined,
        clientId: "Iv1.abc",
        clientSecret: "gh-secret",
        scopes: ["read:user", "user:email"],
        trustEmail: false,
        trustAmr: false,
        github: {
          authorizationUrl: "https://github.com/login/oauth/authorize",
          tokenUrl: "https://github.com/login/oauth/access_token",
          apiUrl: "https://api.github.com",
        },
        allowInsecureRequests: true,
      },
    ]);
  });

  it("lets the GitHub preset's endpoints be overridden", () => {
    const [github] = loadConfig({
      OIDC_PROVIDERS: "github",
      OIDC_GITHUB_CLIENT_ID: "x",
      OIDC_GITHUB_AUTHORIZATION_URL: "http://127.0.0.1:9/login/oauth/authorize",
      OIDC_GITHUB_TOKEN_URL: "http://127.0.0.1:9/login/oauth/access_token",
      OIDC_GITHUB_API_URL: "http://127.0.0.1:9/api/",
    }).oidc.providers;
    expect(github?.github).toEqual({
      authorizationUrl: "http://127.0.0.1:9/login/oauth/authorize",
      tokenUrl: "http://127.0.0.1:9/login/oauth/access_token",
      apiUrl: "http://127.0.0.1:9/api",
    });
  });

  it("names every missing or bad setting, and never echoes a secret", () => {
    const problems = problemsOf({
      OIDC_PROVIDERS: "corp,Bad_Id,gh",
      OIDC_CORP_ISSUER: "not a url",
      OIDC_CORP_CLIENT_SECRET: "super-secret-value",
      OIDC_CORP_TRUST_EMAIL: "yes",
      OIDC_CORP_SCOPES: "email profile",
      OIDC_GH_TYPE: "saml",
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^OIDC_CORP_ISSUER: /),
        expect.stringMatching(/^OIDC_CORP_CLIENT_ID: is required/),
        expect.stringMatching(/^OIDC_CORP_TRUST_EMAIL: /),
        expect.stringMatching(/^OIDC_CORP_SCOPES: must include openid/),
        expect.stringMatching(/^OIDC_PROVIDERS: "Bad_Id"/),
        expect.stringMatching(/^OIDC_GH_TYPE: /),
      ]),
    );
    expect(problems.join("\n")).not.toContain("super-secret-value");
  });

  it("refuses a missing client secret or a plain-http endpoint in production", () => {
    const problems = problemsOf({
      NODE_ENV: "production",
      JWT_SECRET: strongSecret,
      OIDC_PROVIDERS: "corp",
      OIDC_CORP_ISSUER: "http://sso.example.com",
      OIDC_CORP_CLIENT_ID: "um",
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        "OIDC_CORP_CLIENT_SECRET: is required in production",
        "OIDC_CORP_ISSUER: must be https in production",
      ]),
    );
    const ok = loadConfig({
      NODE_ENV: "production",
      JWT_SECRET: strongSecret,
      OIDC_PROVIDERS: "corp",
      OIDC_CORP_ISSUER: "https://sso.example.com",
      OIDC_CORP_CLIENT_ID: "um",
      OIDC_CORP_CLIENT_SECRET: "s",
    });
    expect(ok.oidc.providers[0]?.allowInsecureRequests).toBe(false);
  });
});
