/** What the second-factor phase sends: TOTP codes computed as the server checks them. */
import { totpCodeForStep, totpStepAt } from "@app/core";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import type { MfaUser } from "./load-spec.js";

/** An mfa_token no server issued: what a request gets when the phase ran out of live ones (a 401). */
export const SPENT_MFA_TOKEN = "spent-mfa-token";

/**
 * The next second-factor request: users in turn, each with a code for a step after the last one it used
 * (the server accepts a code once per user and step), within the ±1 step the server allows. A user with
 * no usable step left in this window, or no mfa_token left, is skipped.
 */
export function nextMfaBody(users: MfaUser[], state: { next: number }, now = Date.now()): string {
  const current = totpStepAt(now);
  for (let tried = 0; tried < users.length; tried++) {
    const user = users[state.next] as MfaUser;
    state.next = (state.next + 1) % users.length;
    const step = Math.max(current, user.lastStep + 1);
    if (step > current + 1 || user.mfaTokens.length === 0) continue;
    user.lastStep = step;
    const code = totpCodeForStep(decodeBase32IgnorePadding(user.secret), step);
    return JSON.stringify({ mfa_token: user.mfaTokens.pop(), code });
  }
  return JSON.stringify({ mfa_token: SPENT_MFA_TOKEN, code: "000000" });
}
