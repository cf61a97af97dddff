import type { OutboxMailKind } from "@app/core";
import { escapeHtml, type RenderedEmail } from "./layout.js";

/**
 * The notices core queues in the outbox, rendered from their stored values at send time. Each ends with
 * what to do if it was not you. Links point at the web app (`PUBLIC_URL`).
 */
export function renderSecurityNotice(
  kind: OutboxMailKind | string,
  data: Record<string, unknown>,
  publicUrl: string,
): RenderedEmail {
  const base = publicUrl.replace(/\/+$/, "");
  const when = typeof data.at === "string" ? new Date(data.at).toUTCString() : "just now";
  const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : "unknown");
  switch (kind) {
    case "new_sign_in":
      return notice({
        subject: "New sign-in to your account",
        lines: [
          `Your account was signed in to from a browser or device it has not used recently: ${text(data.device)}, from address ${text(data.ip)}, at ${when}.`,
        ],
        ifNotYou: `If this was not you, change your password at ${base}/profile and end that session under "Where you're signed in".`,
      });
    case "password_changed":
      return notice({
        subject: "Your password was changed",
        lines: [`The password of your account was changed at ${when}. Every other session was signed out.`],
        ifNotYou: `If this was not you, reset your password now at ${base}/forgot-password and contact your administrator.`,
      });
    case "email_changed":
      return notice({
        subject: "The email address of your account was changed",
        lines: [
          `At ${when}, the sign-in address of your account was changed from this address to ${text(data.new_email)}. Messages about the account now go there.`,
        ],
        ifNotYou:
          "If this was not you, your account may have been taken over: reply to this message or contact your administrator at once, quoting this address, so they can restore it. A password reset would now go to the new address, not to you.",
      });
    case "mfa_disabled":
      return notice({
        subject: "Two-factor authentication was turned off",
        lines: [`Two-factor authentication was turned off for your account at ${when}.`],
        ifNotYou: `If this was not you, change your password at ${base}/forgot-password, turn two-factor authentication back on, and contact your administrator.`,
      });
    case "refresh_reuse_detected":
      return notice({
        subject: "We signed out a session that looked copied",
        lines: [
          `At ${when}, a sign-in token of your account was used twice, which means someone else may hold a copy. We ended that session; sign in again on the device you were using.`,
        ],
        ifNotYou: `If you do not recognise this, change your password at ${base}/profile and review "Where you're signed in".`,
      });
    case "identity_linked":
      return notice({
        subject: "A sign-in provider was linked to your account",
        lines: [`At ${when}, ${text(data.provider)} was linked to your account: it can now sign in with it.`],
        ifNotYou: `If this was not you, unlink it at ${base}/profile, change your password at ${base}/forgot-password and contact your administrator.`,
      });
    case "identity_unlinked":
      return notice({
        subject: "A sign-in provider was unlinked from your account",
        lines: [
          `At ${when}, ${text(data.provider)} was unlinked from your account: it no longer signs in with it.`,
        ],
        ifNotYou: `If this was not you, reset your password at ${base}/forgot-password and contact your administrator.`,
      });
    case "provider_account_created":
      return notice({
        subject: "Your account was created",
        lines: [
          `At ${when}, you signed in with ${text(data.provider)} for the first time, which created your account. It has no password: sign in with ${text(data.provider)}, or set one at ${base}/forgot-password.`,
        ],
        ifNotYou: "If this was not you, contact your administrator.",
      });
    default:
      throw new Error(`unknown outbox mail kind: ${kind}`);
  }
}

function notice({
  subject,
  lines,
  ifNotYou,
}: {
  subject: string;
  lines: string[];
  ifNotYou: string;
}): RenderedEmail {
  const text = `Hello,\n\n${lines.join("\n\n")}\n\n${ifNotYou}\n`;
  const html = `<!doctype html>
<html lang="en"><body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1f2933">
<p>Hello,</p>
${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join("\n")}
<p style="font-size: 0.9em; color: #52606d">${escapeHtml(ifNotYou)}</p>
</body></html>
`;
  return { subject, text, html };
}
