import { InvalidTokenError } from "@app/auth";
import { UnauthenticatedError, type User } from "@app/core";
import { createMiddleware } from "hono/factory";
import type { AppDeps, AppEnv, SignedInEnv } from "../app-env.js";

export type RequireUserOptions = Pick<AppDeps, "tokens" | "users">;

const BEARER = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i;

/**
 * Bearer token → verified claims → the user, still active, whose password has not changed since the
 * token was issued. A missing header is UnauthenticatedError; any refused token (malformed, expired,
 * revoked, of a user gone or deactivated) is the same 401 with `WWW-Authenticate`, so a client learns
 * nothing about which accounts exist.
 */
export function bearerUser({ tokens, users }: RequireUserOptions) {
  return async function bearerUser(authorization: string | undefined): Promise<User> {
    if (!authorization) throw new UnauthenticatedError("This endpoint needs a bearer access token.");
    const token = BEARER.exec(authorization)?.[1];
    if (!token) throw new InvalidTokenError("malformed");
    const claims = await tokens.verify(token);
    return users.getActiveUserForToken({ userId: claims.sub, issuedAt: claims.iat });
  };
}

/** Guards a route: its handler runs only for a signed-in user, typed as always present. */
export function requireUser(options: RequireUserOptions) {
  const authenticate = bearerUser(options);
  return createMiddleware<AppEnv & SignedInEnv>(async function requireUser(c, next) {
    c.set("user", await authenticate(c.req.header("authorization")));
    return next();
  });
}
