import { type RenderedEmail, renderLinkEmail } from "./layout.js";

/** The email with a single-use link to `${PUBLIC_URL}/reset-password?token=…`. */
export function passwordResetEmail({
  link,
  ttlMinutes,
}: {
  link: string;
  ttlMinutes: number;
}): RenderedEmail {
  return renderLinkEmail({
    subject: "Reset your password",
    intro: `Someone (hopefully you) asked to reset the password of this account. The link works once, for ${ttlMinutes} minutes:`,
    action: "Choose a new password",
    link,
    outro: "If you did not ask for this, ignore this email: your password stays as it is.",
  });
}
