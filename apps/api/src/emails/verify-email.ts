import { type RenderedEmail, renderLinkEmail } from "./layout.js";

/** The email with a single-use link to `${PUBLIC_URL}/verify-email?token=…`. */
export function verifyEmailEmail({ link, ttlHours }: { link: string; ttlHours: number }): RenderedEmail {
  return renderLinkEmail({
    subject: "Confirm your email address",
    intro: `Please confirm that this is your email address. The link works once, for ${ttlHours} hours:`,
    action: "Confirm my email address",
    link,
    outro: "If you did not create an account or change your email, ignore this email.",
  });
}
