/** The plain-text and HTML bodies every account email shares: a greeting, one sentence, one link. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);

export function renderLinkEmail(parts: {
  subject: string;
  intro: string;
  action: string;
  link: string;
  outro: string;
}): RenderedEmail {
  const text = `Hello,\n\n${parts.intro}\n\n${parts.link}\n\n${parts.outro}\n`;
  const html = `<!doctype html>
<html lang="en"><body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1f2933">
<p>Hello,</p>
<p>${escapeHtml(parts.intro)}</p>
<p><a href="${escapeHtml(parts.link)}" style="display: inline-block; padding: 0.5em 1em; background: #2563eb; color: #fff; text-decoration: none; border-radius: 4px">${escapeHtml(parts.action)}</a></p>
<p style="font-size: 0.9em">Or paste this address into your browser: <br>${escapeHtml(parts.link)}</p>
<p style="font-size: 0.9em; color: #52606d">${escapeHtml(parts.outro)}</p>
</body></html>
`;
  return { subject: parts.subject, text, html };
}
