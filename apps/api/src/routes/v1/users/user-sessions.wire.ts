import type { SessionRow } from "@app/core";
import { z } from "@hono/zod-openapi";

export const sessionResourceSchema = z
  .object({
    id: z.uuid().openapi({ description: "The session id: the `sid` of its access tokens" }),
    created_at: z.iso.datetime({ offset: true }).openapi({ description: "When the login happened" }),
    last_used_at: z.iso.datetime({ offset: true }).openapi({ description: "The last refresh" }),
    expires_at: z.iso.datetime({ offset: true }),
    ip: z.string().nullable().openapi({ description: "Client address of the login (null when not stored)" }),
    user_agent: z.string().nullable(),
    device: z.string().nullable().openapi({ example: "Firefox on Linux" }),
    current: z.boolean().openapi({ description: "The session of the token that made this request" }),
  })
  .openapi("Session");

export const sessionListSchema = z.object({ items: z.array(sessionResourceSchema) }).openapi("SessionList");

export const sessionIdParamSchema = z.object({
  id: z.uuid("must be a UUID").openapi({ param: { name: "id", in: "path" }, format: "uuid" }),
});

export const userSessionParamSchema = z.object({
  id: z.uuid("must be a UUID").openapi({ param: { name: "id", in: "path" }, format: "uuid" }),
  sid: z.uuid("must be a UUID").openapi({ param: { name: "sid", in: "path" }, format: "uuid" }),
});

export function toSessionResource(session: SessionRow, currentSessionId: string | undefined) {
  return {
    id: session.id,
    created_at: session.createdAt.toISOString(),
    last_used_at: session.lastUsedAt.toISOString(),
    expires_at: session.expiresAt.toISOString(),
    ip: session.ip,
    user_agent: session.userAgent,
    device: session.device,
    current: session.id === currentSessionId,
  };
}
