import { ForbiddenError } from "@app/core";
import { createMiddleware } from "hono/factory";
import type { AppEnv, SignedInEnv } from "../app-env.js";

/**
 * Runs after `requireUser`: a signed-in user who is not a superuser gets 403 (the token is fine, the
 * permission is missing), before any validation, so a non-admin learns nothing about the admin routes.
 */
export function requireSuperuser() {
  return createMiddleware<AppEnv & SignedInEnv>(async function requireSuperuser(c, next) {
    if (!c.var.user.isSuperuser) throw new ForbiddenError("Only superusers may use this endpoint.");
    return next();
  });
}
