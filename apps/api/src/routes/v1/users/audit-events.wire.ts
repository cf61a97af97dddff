import { AUDIT_EVENT_TYPES, type AuditEventRow } from "@app/core";
import { z } from "@hono/zod-openapi";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./users.wire.js";

export const auditEventSchema = z
  .object({
    id: z.uuid(),
    type: z.string().openapi({ example: "login.succeeded", enum: [...AUDIT_EVENT_TYPES] }),
    created_at: z.iso.datetime({ offset: true }),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    details: z
      .record(z.string(), z.unknown())
      .openapi({ description: "Never a password, token, code or hash" }),
  })
  .openapi("AuditEvent");

export const adminAuditEventSchema = auditEventSchema
  .extend({
    user_id: z
      .uuid()
      .nullable()
      .openapi({ description: "The subject; null for a failed login of an unknown email" }),
    actor_type: z.enum(["user", "superuser", "system"]),
    actor_id: z.uuid().nullable(),
    request_id: z.string().nullable(),
  })
  .openapi("AdminAuditEvent");

const cursorPage = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({
      items: z.array(item),
      next_cursor: z
        .string()
        .nullable()
        .openapi({ description: "Pass as `cursor` for the next page; null on the last" }),
    })
    .openapi(name);

export const auditEventPageSchema = cursorPage(auditEventSchema, "AuditEventPage");
export const adminAuditEventPageSchema = cursorPage(adminAuditEventSchema, "AdminAuditEventPage");

const limit = z.coerce
  .number()
  .int("must be an integer")
  .min(1, "must be at least 1")
  .max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`)
  .default(DEFAULT_PAGE_SIZE)
  .openapi({ type: "integer", minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE });
const cursor = z.string().max(200, "is too long").optional().openapi({ description: "From `next_cursor`" });

export const myEventsQuerySchema = z.object({ limit, cursor });

export const auditEventsQuerySchema = z.object({
  limit,
  cursor,
  user_id: z.uuid("must be a UUID").optional(),
  type: z.string().max(64, "is too long").optional().openapi({ example: "login.failed" }),
  since: z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time" }).optional(),
  until: z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time" }).optional(),
});

export function toAuditEventResource(event: AuditEventRow) {
  return {
    id: event.id,
    type: event.type,
    created_at: event.createdAt.toISOString(),
    ip: event.ip,
    user_agent: event.userAgent,
    details: event.details,
  };
}

export function toAdminAuditEventResource(event: AuditEventRow) {
  return {
    ...toAuditEventResource(event),
    user_id: event.userId,
    actor_type: event.actorType,
    actor_id: event.actorId,
    request_id: event.requestId,
  };
}
