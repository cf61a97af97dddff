import type { AccountRecoveryService, TokenToSend } from "@app/core";
import { passwordResetEmail } from "../emails/password-reset.js";
import { type SecondFactorChange, secondFactorChangedEmail } from "../emails/second-factor-changed.js";
import { verifyEmailEmail } from "../emails/verify-email.js";
import type { MailQueue } from "./mail-queue.js";

export interface AccountMail {
  /** Issues a reset token and queues the mail when an active account has this email; silent otherwise. */
  sendPasswordReset(email: string): Promise<void>;
  /** Issues a verification token for the user's current email and queues the mail, unless already verified. */
  sendVerification(userId: string): Promise<void>;
  /** The same, found by email; silent when no active, unverified account has it. */
  sendVerificationByEmail(email: string): Promise<void>;
  /** Tells the owner of `email` that a second factor was added or removed. */
  sendSecondFactorChanged(email: string, change: SecondFactorChange): void;
}

/** Links point at the web app's pages: `${publicUrl}/reset-password?token=…`, `${publicUrl}/verify-email?token=…`. */
export function createAccountMail({
  recovery,
  mail,
  publicUrl,
}: {
  recovery: AccountRecoveryService;
  mail: MailQueue;
  publicUrl: string;
}): AccountMail {
  const linkTo = (page: string, token: string) => {
    const url = new URL(page, `${publicUrl.replace(/\/+$/, "")}/`);
    url.searchParams.set("token", token);
    return url.toString();
  };
  const minutesLeft = (expiresAt: Date) => Math.round((expiresAt.getTime() - Date.now()) / 60_000);

  const mailVerification = (sent: TokenToSend | null) => {
    if (!sent) return;
    const link = linkTo("verify-email", sent.token);
    const body = verifyEmailEmail({ link, ttlHours: Math.round(minutesLeft(sent.expiresAt) / 60) });
    mail.enqueue({ to: sent.user.email, ...body }, { kind: "verify_email", link });
  };

  return {
    async sendPasswordReset(email) {
      const sent = await recovery.requestPasswordReset(email);
      if (!sent) return;
      const link = linkTo("reset-password", sent.token);
      const body = passwordResetEmail({ link, ttlMinutes: minutesLeft(sent.expiresAt) });
      mail.enqueue({ to: sent.user.email, ...body }, { kind: "password_reset", link });
    },
    async sendVerification(userId) {
      mailVerification(await recovery.requestEmailVerification(userId));
    },
    async sendVerificationByEmail(email) {
      mailVerification(await recovery.requestEmailVerificationByEmail(email));
    },
    sendSecondFactorChanged(email, change) {
      const link = new URL("profile", `${publicUrl.replace(/\/+$/, "")}/`).toString();
      mail.enqueue(
        { to: email, ...secondFactorChangedEmail({ change, link }) },
        { kind: "second_factor_changed", link },
      );
    },
  };
}
