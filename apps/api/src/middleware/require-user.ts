import { InvalidTokenError } from "@app/auth";
import { UnauthenticatedError, type User } from "@app/core";
import { createMiddleware } from "hono/factory";
import type { AppDeps, AppEnv, SignedInEnv } from "../app-env.js";

export type RequireUserOptions = Pick<AppDeps, "tokens" | "users">;

const BEARER = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i;

/** Who a valid bearer token speaks for, and the session (`sid`) it belongs to when it names one. */
export interface BearerUser {
  user: User;
  sessionId: string | undefined;
}

/**
 * Bearer token → verified claims → the user, still active, whose password has not changed since the
 * token was issued, and whose session (the token's `sid`) has not ended. A missing header is
 * UnauthenticatedError; any refused token (malformed, expired, revoked, of an ended session, of a user
 * gone) is the same 401 with `WWW-Authenticate`, so a client learns nothing about which accounts exist.
 * A verified token of a deactivated user is a 401 of its own type (`AccountDeactivatedError`): only
 * that account's holder can present one, and the web app tells them why they were signed out.
 */
export function bearerUser({ tokens, users }: RequireUserOptions) {
  return async function bearerUser(authorization: string | undefined): Promise<BearerUser> {
    if (!authorization) throw new UnauthenticatedError("This endpoint needs a bearer access token.");
    const token = BEARER.exec(authorization)?.[1];
    if (!token) throw new InvalidTokenError("malformed");
    const claims = await tokens.verify(token);
    const user = await users.getActiveUserForToken({
      userId: claims.sub,
      issuedAt: claims.iat,
      sessionId: claims.sid,
    });
    return { user, sessionId: claims.sid };
  };
}

/** Guards a route: its handler runs only for a signed-in user, typed as always present. */
export function requireUser(options: RequireUserOptions) {
  const authenticate = bearerUser(options);
  return createMiddleware<AppEnv & SignedInEnv>(async function requireUser(c, next) {
    const { user, sessionId } = await authenticate(c.req.header("authorization"));
    c.set("user", user);
    c.set("sessionId", sessionId);
    return next();
  });
}
