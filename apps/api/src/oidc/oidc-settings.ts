/**
 * The identity-provider settings (`OIDC_PROVIDERS` and the `OIDC_<NAME>_*` family). Their keys depend on
 * the provider ids, so they cannot sit in `config.ts`'s fixed object; `loadConfig` hands this the same
 * environment and reports its problems with everyone else's.
 */
import { z } from "zod";

export const GITHUB_DEFAULTS = {
  authorizationUrl: "https://github.com/login/oauth/authorize",
  tokenUrl: "https://github.com/login/oauth/access_token",
  apiUrl: "https://api.github.com",
} as const;

export interface OidcProviderSettings {
  /** The id in URLs (`/v1/auth/{id}/…`) and in `user_identities.provider`. */
  id: string;
  /** `github`: OAuth 2.0 plus GitHub's user API; `oidc`: OpenID Connect with discovery. */
  kind: "oidc" | "github";
  /** Shown on the sign-in button. */
  name: string;
  /** The OpenID issuer (discovery at `<issuer>/.well-known/openid-configuration`); GitHub has none. */
  issuer?: string | undefined;
  clientId: string;
  /** A secret: never logged. Absent: a public client (PKCE alone), refused in production. */
  clientSecret?: string | undefined;
  scopes: string[];
  /** Attach a new identity to the existing account with the same verified email. */
  trustEmail: boolean;
  /** Let the provider's `amr` MFA assertion stand for this service's second factor. */
  trustAmr: boolean;
  /** GitHub's endpoints (overridable for a GitHub Enterprise server, or a test stub). */
  github?: { authorizationUrl: string; tokenUrl: string; apiUrl: string } | undefined;
  /** Plain-http endpoints allowed (never in production). */
  allowInsecureRequests: boolean;
}

export interface OidcSettings {
  providers: OidcProviderSettings[];
}

const ID = /^[a-z][a-z0-9-]{0,31}$/;
const bool = z
  .enum(["true", "false", ""], { error: "must be true or false" })
  .optional()
  .transform((value) => value === "true");
const present = (value: string | undefined) =>
  value === undefined || value.trim() === "" ? undefined : value.trim();

/** The env prefix of a provider id: `corp-sso` → `OIDC_CORP_SSO_`. */
export function envPrefix(id: string): string {
  return `OIDC_${id.toUpperCase().replaceAll("-", "_")}_`;
}

/**
 * Reads every configured provider from `env`; each problem is `KEY: message`.
 * @returns the settings, or the list of problems
 */
export function parseOidcSettings(
  env: Record<string, string | undefined>,
  nodeEnv: "development" | "production" | "test",
): { settings: OidcSettings; problems: string[] } {
  const problems: string[] = [];
  const ids = (present(env.OIDC_PROVIDERS) ?? "")
    .split(",")
    .map((id) => id.trim())
    .filter(Boolean);
  const providers: OidcProviderSettings[] = [];
  for (const id of new Set(ids)) {
    if (!ID.test(id)) {
      problems.push(
        `OIDC_PROVIDERS: "${id}" must be lower-case letters, digits and dashes, starting with a letter`,
      );
      continue;
    }
    const prefix = envPrefix(id);
    const read = (key: string) => present(env[prefix + key]);
    const kindValue = read("TYPE") ?? (id === "github" ? "github" : "oidc");
    if (kindValue !== "oidc" && kindValue !== "github") {
      problems.push(`${prefix}TYPE: must be oidc or github`);
      continue;
    }
    const kind = kindValue;
    const url = (key: string, fallback?: string) => {
      const value = read(key) ?? fallback;
      if (value === undefined) return undefined;
      const parsed = z.url({ protocol: /^https?$/ }).safeParse(value);
      if (!parsed.success) {
        problems.push(`${prefix}${key}: must be an http(s) URL`);
        return undefined;
      }
      if (nodeEnv === "production" && !value.startsWith("https://"))
        problems.push(`${prefix}${key}: must be https in production`);
      return value.replace(/\/+$/, "");
    };
    const issuer = kind === "oidc" ? url("ISSUER") : undefined;
    if (kind === "oidc" && issuer === undefined && read("ISSUER") === undefined)
      problems.push(`${prefix}ISSUER: is required for an OpenID Connect provider`);
    const clientId = read("CLIENT_ID");
    if (clientId === undefined) problems.push(`${prefix}CLIENT_ID: is required`);
    const clientSecret = present(env[`${prefix}CLIENT_SECRET`]);
    // Never echo the value: only whether it is there.
    if (clientSecret === undefined && nodeEnv === "production")
      problems.push(`${prefix}CLIENT_SECRET: is required in production`);
    const trustEmail = bool.safeParse(env[`${prefix}TRUST_EMAIL`]);
    const trustAmr = bool.safeParse(env[`${prefix}TRUST_AMR`]);
    if (!trustEmail.success) problems.push(`${prefix}TRUST_EMAIL: must be true or false`);
    if (!trustAmr.success) problems.push(`${prefix}TRUST_AMR: must be true or false`);
    const github =
      kind === "github"
        ? {
            authorizationUrl: url("AUTHORIZATION_URL", GITHUB_DEFAULTS.authorizationUrl) ?? "",
            tokenUrl: url("TOKEN_URL", GITHUB_DEFAULTS.tokenUrl) ?? "",
            apiUrl: url("API_URL", GITHUB_DEFAULTS.apiUrl) ?? "",
          }
        : undefined;
    const scopes = (read("SCOPES") ?? (kind === "github" ? "read:user user:email" : "openid email profile"))
      .split(/[\s,]+/)
      .filter(Boolean);
    if (kind === "oidc" && !scopes.includes("openid")) problems.push(`${prefix}SCOPES: must include openid`);
    if (clientId === undefined || (kind === "oidc" && issuer === undefined)) continue;
    providers.push({
      id,
      kind,
      name: read("NAME") ?? (kind === "github" ? "GitHub" : id.charAt(0).toUpperCase() + id.slice(1)),
      issuer,
      clientId,
      clientSecret,
      scopes,
      trustEmail: trustEmail.data ?? false,
      trustAmr: trustAmr.data ?? false,
      github,
      allowInsecureRequests: nodeEnv !== "production",
    });
  }
  return { settings: { providers }, problems };
}
