import type { TokenService } from "@app/auth";
import type {
  AccountRecoveryService,
  Database,
  IdentityService,
  MfaService,
  RateLimiter,
  SessionService,
  User,
  UserService,
} from "@app/core";
import type { PasswordPolicy } from "@app/validators";
import type { JwksSource } from "./access-token-keys.js";
import type { ClientAddressResolver } from "./client-address.js";
import type { HttpSettings, RateLimitSettings } from "./config.js";
import type { Logger } from "./logger.js";
import type { AccountMail } from "./mail/account-mail.js";
import type { MailQueue, MailTransport } from "./mail/mail-queue.js";
import type { Metrics } from "./metrics.js";
import type { FlowCookieSealer } from "./oidc/flow-cookie.js";
import type { IdentityProviders } from "./oidc/relying-party.js";

/** Signing in through other identity providers (`OIDC_PROVIDERS`) and the identities users link. */
export interface OidcDeps {
  providers: IdentityProviders;
  identities: IdentityService;
  /** Seals the state, nonce and PKCE verifier of a sign-in in flight into its cookie. */
  flowCookies: FlowCookieSealer;
  /** PUBLIC_URL: the base of each provider's redirect URI, and where the web app is. */
  publicUrl: string;
}

/** What `createApp` needs; `server.ts` builds the real ones once per process, tests build their own. */
export interface AppDeps {
  logger: Logger;
  database: Database;
  users: UserService;
  tokens: TokenService;
  /** The public keys of `tokens`, served at `/.well-known/jwks.json` (empty with HS256). */
  jwks: JwksSource;
  /** Refresh tokens, logout and logout-all. */
  sessions: SessionService;
  /** Second factors, passkeys and the two-step login. */
  mfa: MfaService;
  rateLimiter: RateLimiter;
  rateLimits: RateLimitSettings;
  clientAddress: ClientAddressResolver;
  metrics: Metrics;
  http: Pick<HttpSettings, "corsOrigins" | "requestTimeoutMs" | "readyTimeoutMs">;
  recovery: AccountRecoveryService;
  /** The outgoing mail queue (tests await `mail.idle()`). */
  mail: MailQueue;
  /** Where the outbox sender delivers (`SMTP_URL`); absent when mail is not configured. */
  mailTransport?: MailTransport | undefined;
  accountMail: AccountMail;
  /** Login refuses unverified accounts with 403 when true. */
  requireVerifiedEmail: boolean;
  /** `PASSWORD_MIN_LENGTH`; absent = 8 characters. */
  passwordPolicy?: PasswordPolicy;
  /** `AUDIT_STORE_IP`: false keeps client addresses out of sessions and the security log. Absent: stored. */
  audit?: { storeIp: boolean };
  /**
   * Origins of the web app allowed to use the refresh cookie besides each request's own (PUBLIC_URL's and
   * WEBAUTHN_ORIGINS); absent = the request's own origin only.
   */
  webOrigins?: readonly string[];
  /** Folder of the built web app to serve at `/`; absent in tests that only exercise the API. */
  webDistDir?: string;
  /** Identity providers; absent: none configured (the provider list is empty). */
  oidc?: OidcDeps;
}

/**
 * Types `c.var` in every handler and middleware. `user` is absent until `requireUser` has run (or
 * login has signed someone in, for the access log); routes behind `requireUser` see `SignedInEnv`.
 */
export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    user?: User;
    /** The access token's `sid` (its session), when it has one; set by `requireUser`. */
    sessionId?: string | undefined;
  };
}

/** What `requireUser` adds: the signed-in user, always there in the handlers it guards. */
export interface SignedInEnv {
  Variables: { user: User };
}
