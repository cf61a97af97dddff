import type { Db } from "../db/client.js";
import { queueMail } from "../outbox/outbox.js";
import { type AuditContext, recordAuditEvent } from "./audit-log.js";

/**
 * What turning off a user's second factor must leave behind, inside the transaction that turns it off:
 * an `mfa.disabled` event and a notice to the user's address (so an attacker who did it is noticed).
 * Who turned it off is `context.actor`: the user themself, or a superuser.
 * @param details why, e.g. which factor went; never a secret, code or key
 */
export async function recordMfaDisabled(
  tx: Db,
  user: { id: string; email: string },
  context: AuditContext = {},
  { at = new Date(), details = {} }: { at?: Date; details?: Record<string, unknown> } = {},
): Promise<void> {
  await recordAuditEvent(tx, { type: "mfa.disabled", userId: user.id, details }, context, at);
  await queueMail(tx, { kind: "mfa_disabled", to: user.email, data: { at: at.toISOString() } }, at);
}
