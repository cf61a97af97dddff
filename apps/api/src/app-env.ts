import type { TokenService } from "@app/auth";
import type { Database, RateLimiter, SessionService, User, UserService } from "@app/core";
import type { ClientAddressResolver } from "./client-address.js";
import type { HttpSettings, RateLimitSettings } from "./config.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";

/** What `createApp` needs; `server.ts` builds the real ones once per process, tests build their own. */
export interface AppDeps {
  logger: Logger;
  database: Database;
  users: UserService;
  tokens: TokenService;
  /** Refresh tokens, logout and logout-all (issue 8). */
  sessions: SessionService;
  // --- hardening (issue 4) ---
  rateLimiter: RateLimiter;
  rateLimits: RateLimitSettings;
  clientAddress: ClientAddressResolver;
  metrics: Metrics;
  http: Pick<HttpSettings, "corsOrigins" | "requestTimeoutMs" | "readyTimeoutMs">;
  // --- end hardening ---
  /** Folder of the built web app to serve at `/`; absent in tests that only exercise the API. */
  webDistDir?: string;
}

/** Types `c.var` in every handler and middleware. `user` is set by `requireUser` only. */
export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    user: User;
  };
}
