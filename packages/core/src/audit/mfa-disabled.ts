import type { Db } from "../db/client.js";
import { queueMail } from "../outbox/outbox.js";
import { type AuditContext, recordAuditEvent } from "./audit-log.js";

/**
 * What turning off a user's second factor must leave behind, inside the transaction that turns it off:
 * an `mfa.disabled` event and a notice to the user's address (so an attacker who did it is noticed).
 * @param by who turned it off: `"user"` themself or a `"superuser"` (`context.actor` names them)
 */
export async function recordMfaDisabled(
  tx: Db,
  user: { id: string; email: string },
  context: AuditContext = {},
  at: Date = new Date(),
): Promise<void> {
  await recordAuditEvent(tx, { type: "mfa.disabled", userId: user.id }, context, at);
  await queueMail(tx, { kind: "mfa_disabled", to: user.email, data: { at: at.toISOString() } }, at);
}
