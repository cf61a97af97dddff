import { InvalidTokenError } from "@app/auth";
import { DomainError } from "@app/core";
import { createMiddleware } from "hono/factory";
import type { AppDeps, AppEnv } from "../app-env.js";
import { problemResponse } from "../problem.js";

export type RequireUserOptions = Pick<AppDeps, "tokens" | "users">;

const BEARER = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i;

/**
 * Bearer token → verified claims → the user, still active, whose password has not changed since the
 * token was issued. Every failure is the same 401 with `WWW-Authenticate`, so a client learns nothing
 * about which accounts exist.
 */
export function requireUser({ tokens, users }: RequireUserOptions) {
  return createMiddleware<AppEnv>(async function requireUser(c, next) {
    const header = c.req.header("authorization");
    if (!header) {
      return problemResponse(c, "UNAUTHENTICATED", "This endpoint needs a bearer access token.", {
        headers: { "WWW-Authenticate": 'Bearer realm="user-management"' },
      });
    }
    const token = BEARER.exec(header)?.[1];
    try {
      if (!token) throw new InvalidTokenError("malformed");
      const claims = await tokens.verify(token);
      c.set(
        "user",
        await users.getActiveUserForToken({
          userId: claims.sub,
          issuedAt: claims.iat,
          sessionId: claims.sid,
        }),
      );
      c.set("sessionId", claims.sid);
    } catch (error) {
      if (!(error instanceof InvalidTokenError || isRevocation(error))) throw error;
      const expired = error instanceof InvalidTokenError && error.reason === "expired";
      const detail = expired
        ? "The access token has expired."
        : "The access token is invalid or has been revoked.";
      return problemResponse(c, "INVALID_TOKEN", detail, {
        headers: {
          "WWW-Authenticate": `Bearer realm="user-management", error="invalid_token", error_description="${detail}"`,
        },
      });
    }
    return next();
  });
}

function isRevocation(error: unknown): boolean {
  return (
    error instanceof DomainError &&
    (error.code === "USER_NOT_FOUND" || error.code === "INACTIVE_USER" || error.code === "TOKEN_REVOKED")
  );
}
