import { InvalidTokenError } from "@app/auth";
import { UnauthenticatedError } from "@app/core";
import { createMiddleware } from "hono/factory";
import type { AppDeps, AppEnv } from "../app-env.js";

export type RequireUserOptions = Pick<AppDeps, "tokens" | "users">;

const BEARER = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i;

/**
 * Bearer token → verified claims → the user, still active, whose password has not changed since the
 * token was issued. A missing token is UnauthenticatedError; any refused one (malformed, expired,
 * revoked, of a user gone or deactivated) is the same 401 with `WWW-Authenticate`, so a client learns
 * nothing about which accounts exist.
 */
export function requireUser({ tokens, users }: RequireUserOptions) {
  return createMiddleware<AppEnv>(async function requireUser(c, next) {
    const header = c.req.header("authorization");
    if (!header) throw new UnauthenticatedError("This endpoint needs a bearer access token.");
    const token = BEARER.exec(header)?.[1];
    if (!token) throw new InvalidTokenError("malformed");
    const claims = await tokens.verify(token);
    c.set("user", await users.getActiveUserForToken({ userId: claims.sub, issuedAt: claims.iat }));
    return next();
  });
}
