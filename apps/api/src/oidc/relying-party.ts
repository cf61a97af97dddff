/**
 * The relying-party side of each configured provider, on `openid-client`: authorization code flow with
 * PKCE (S256), `state`, and for OpenID Connect a `nonce` and an ID token whose issuer, audience, nonce,
 * expiry and signature (through the provider's JWKS, `enableNonRepudiationChecks`) the library checks.
 * GitHub speaks OAuth 2.0 without ID tokens: the same client runs the code grant, then GitHub's user API
 * gives the account id and its verified primary email.
 */
import type { ExternalProfile } from "@app/core";
import * as client from "openid-client";
import type { OidcProviderSettings } from "./oidc-settings.js";

/** A provider's `amr` values that name a second factor (RFC 8176). */
const MFA_AMR_VALUES = new Set(["mfa", "otp", "hwk", "swk", "sms", "sc"]);

export interface BegunAuthorization {
  url: URL;
  state: string;
  nonce?: string | undefined;
  codeVerifier: string;
}

export interface FinishedAuthorization {
  profile: ExternalProfile;
  /** The provider's `amr` claim (empty when it sent none). */
  amr: string[];
  /** The provider asserted a second factor and the operator trusts it for this provider. */
  secondFactorDone: boolean;
}

/** Why a callback failed; `reason` is safe to show and to log (never a token or a code). */
export class ProviderCallbackError extends Error {
  override readonly name = "ProviderCallbackError";
  constructor(
    readonly reason: "invalid_state" | "provider_denied" | "token_rejected" | "provider_unavailable",
    options?: { cause?: unknown },
  ) {
    super(`identity provider callback failed: ${reason}`, options);
  }

  /**
   * Which check failed, for the operator's log: the library's error code and its own words, e.g.
   * `OAUTH_JWT_CLAIM_COMPARISON_FAILED: unexpected JWT "aud" (audience) claim value` (oauth4webapi
   * names the claim, never its value).
   */
  get check(): string | undefined {
    const cause = this.cause as { code?: unknown; cause?: { message?: unknown } } | undefined;
    const inner = cause?.cause;
    if (typeof cause?.code !== "string") return undefined;
    return inner instanceof Error ? `${cause.code}: ${inner.message.slice(0, 200)}` : cause.code;
  }
}

export interface IdentityProvider {
  readonly settings: OidcProviderSettings;
  begin(redirectUri: string): Promise<BegunAuthorization>;
  /** Checks the callback against the flow, redeems the code and reads who signed in. */
  finish(
    callbackUrl: URL,
    flow: { state: string; nonce?: string | undefined; codeVerifier: string },
  ): Promise<FinishedAuthorization>;
}

export interface IdentityProviders {
  list(): IdentityProvider[];
  get(id: string): IdentityProvider | undefined;
}

export function createIdentityProviders(providers: OidcProviderSettings[]): IdentityProviders {
  const byId = new Map(providers.map((settings) => [settings.id, createIdentityProvider(settings)]));
  return { list: () => [...byId.values()], get: (id) => byId.get(id) };
}

function createIdentityProvider(settings: OidcProviderSettings): IdentityProvider {
  const clientAuth = settings.clientSecret ? client.ClientSecretPost(settings.clientSecret) : client.None();
  const setUp = (config: client.Configuration) => {
    if (settings.allowInsecureRequests) client.allowInsecureRequests(config);
    return config;
  };
  // Discovery runs once, on first use; a failed one is retried by the next request.
  let configuration: Promise<client.Configuration> | undefined;
  const configure = () => {
    configuration ??= (async () => {
      if (settings.kind === "github" && settings.github) {
        return setUp(
          new client.Configuration(
            {
              issuer: new URL(settings.github.authorizationUrl).origin,
              authorization_endpoint: settings.github.authorizationUrl,
              token_endpoint: settings.github.tokenUrl,
            },
            settings.clientId,
            undefined,
            clientAuth,
          ),
        );
      }
      const config = await client.discovery(
        new URL(settings.issuer as string),
        settings.clientId,
        undefined,
        clientAuth,
        settings.allowInsecureRequests ? { execute: [client.allowInsecureRequests] } : {},
      );
      client.enableNonRepudiationChecks(config);
      return setUp(config);
    })().catch((error: unknown) => {
      configuration = undefined;
      throw new ProviderCallbackError("provider_unavailable", { cause: error });
    });
    return configuration;
  };

  return {
    settings,

    async begin(redirectUri) {
      const config = await configure();
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = settings.kind === "oidc" ? client.randomNonce() : undefined;
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: settings.scopes.join(" "),
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: "S256",
        state,
        ...(nonce ? { nonce } : {}),
      });
      return { url, state, nonce, codeVerifier };
    },

    async finish(callbackUrl, flow) {
      // Before anything reaches the provider: a callback that is not the answer to this browser's own
      // request (login CSRF, a code injected from elsewhere) stops here.
      if (callbackUrl.searchParams.get("state") !== flow.state)
        throw new ProviderCallbackError("invalid_state");
      const config = await configure();
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        tokens = await client.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: flow.codeVerifier,
          expectedState: flow.state,
          ...(settings.kind === "oidc"
            ? { expectedNonce: flow.nonce as string, idTokenExpected: true }
            : { idTokenExpected: false }),
        });
      } catch (error) {
        if (error instanceof client.AuthorizationResponseError)
          throw new ProviderCallbackError("provider_denied", { cause: error });
        if (error instanceof TypeError)
          throw new ProviderCallbackError("provider_unavailable", { cause: error });
        throw new ProviderCallbackError("token_rejected", { cause: error });
      }
      if (settings.kind === "github") return githubProfile(settings, tokens.access_token);
      const claims = tokens.claims();
      if (!claims) throw new ProviderCallbackError("token_rejected");
      let email = typeof claims.email === "string" ? claims.email : undefined;
      let emailVerified = claims.email_verified === true;
      let name = typeof claims.name === "string" ? claims.name : undefined;
      if (email === undefined) {
        // Some providers put the email in UserInfo only; the library checks its `sub` against the ID token's.
        const info = await client
          .fetchUserInfo(config, tokens.access_token, claims.sub)
          .catch((error: unknown) => {
            throw new ProviderCallbackError("token_rejected", { cause: error });
          });
        email = typeof info.email === "string" ? info.email : undefined;
        emailVerified = info.email_verified === true;
        name ??= typeof info.name === "string" ? info.name : undefined;
      }
      const amr = Array.isArray(claims.amr)
        ? claims.amr.filter((v): v is string => typeof v === "string")
        : [];
      return {
        profile: {
          provider: settings.id,
          subject: claims.sub,
          email: email ?? null,
          emailVerified,
          name: name ?? null,
        },
        amr,
        secondFactorDone: settings.trustAmr && amr.some((value) => MFA_AMR_VALUES.has(value)),
      };
    },
  };
}

interface GithubUser {
  id: number;
  login: string;
  name?: string | null;
}

interface GithubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

/** GitHub's account id (stable, unlike the login) and its primary email, only if GitHub verified it. */
async function githubProfile(
  settings: OidcProviderSettings,
  accessToken: string,
): Promise<FinishedAuthorization> {
  const api = settings.github?.apiUrl as string;
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${api}${path}`, {
      headers: {
        Authorization: `Bearer ${accessToken}`,
        Accept: "application/vnd.github+json",
        "User-Agent": "user-management",
        "X-GitHub-Api-Version": "2022-11-28",
      },
    }).catch((error: unknown) => {
      throw new ProviderCallbackError("provider_unavailable", { cause: error });
    });
    if (!response.ok) throw new ProviderCallbackError("token_rejected");
    return (await response.json()) as T;
  };
  const user = await get<GithubUser>("/user");
  if (typeof user.id !== "number") throw new ProviderCallbackError("token_rejected");
  const emails = await get<GithubEmail[]>("/user/emails");
  const primary = Array.isArray(emails) ? emails.find((e) => e.primary && e.verified) : undefined;
  return {
    profile: {
      provider: settings.id,
      subject: String(user.id),
      email: primary?.email ?? null,
      emailVerified: primary !== undefined,
      name: user.name ?? user.login ?? null,
    },
    amr: [],
    secondFactorDone: false,
  };
}
