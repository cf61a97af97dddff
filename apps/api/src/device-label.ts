import Bowser from "bowser";

/**
 * A short, readable label for a user agent ("Firefox on Linux", "Safari on iOS"), from bowser (MIT).
 * Versions are left out on purpose: a browser update must not look like a new device.
 */
export function deviceLabel(userAgent: string | undefined | null): string | null {
  if (!userAgent) return null;
  try {
    const parsed = Bowser.parse(userAgent);
    const browser = parsed.browser.name;
    const os = parsed.os.name;
    if (browser && os) return `${browser} on ${os}`;
    return browser ?? os ?? null;
  } catch {
    return null;
  }
}
