import type { AuditContext } from "@app/core";
import type { Context } from "hono";
import type { AppDeps, AppEnv } from "./app-env.js";
import { UNKNOWN_ADDRESS } from "./client-address.js";
import { deviceLabel } from "./device-label.js";

/**
 * What the security log and the sessions record about a request: client address (unless
 * `AUDIT_STORE_IP=false`), user agent, its browser-and-OS label, request id, and the signed-in user as
 * the actor (`superuser` on the admin routes). Core receives this and never sees HTTP.
 */
export function auditContextOf(
  c: Context<AppEnv>,
  deps: Pick<AppDeps, "clientAddress" | "metrics" | "audit">,
  { asSuperuser = false }: { asSuperuser?: boolean } = {},
): AuditContext {
  const address = deps.clientAddress(c);
  const userAgent = c.req.header("user-agent") ?? null;
  const user = c.get("user") as AppEnv["Variables"]["user"] | undefined;
  return {
    ...(user ? { actor: { type: asSuperuser ? "superuser" : "user", id: user.id } } : {}),
    ip: deps.audit?.storeIp === false || address === UNKNOWN_ADDRESS ? null : address,
    userAgent,
    device: deviceLabel(userAgent),
    requestId: c.get("requestId") ?? null,
    onRecorded: (type) => deps.metrics.auditEvents.inc({ type }),
  };
}
