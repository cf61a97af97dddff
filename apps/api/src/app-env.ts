import type { TokenService } from "@app/auth";
import type {
  AccountRecoveryService,
  Database,
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
  /** Folder of the built web app to serve at `/`; absent in tests that only exercise the API. */
  webDistDir?: string;
}

/** Types `c.var` in every handler and middleware. `user` is set by `requireUser` only. */
export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    user: User;
    /** The access token's `sid` (its session), when it has one; set by `requireUser`. */
    sessionId: string | undefined;
  };
}
