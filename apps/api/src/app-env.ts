import type { TokenService } from "@app/auth";
import type { Database, User, UserService } from "@app/core";
import type { Logger } from "./logger.js";

/** What `createApp` needs; `server.ts` builds the real ones once per process, tests build their own. */
export interface AppDeps {
  logger: Logger;
  database: Database;
  users: UserService;
  tokens: TokenService;
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
