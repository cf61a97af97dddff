/**
 * How the app words waits, limits and connection trouble, in one place so every page says the same
 * thing the same way ("15 minutes", never "796 seconds").
 */

/** Shown whenever the server cannot be reached, whichever page asked. */
export const OFFLINE_MESSAGE = "Could not reach the server. Check your connection and try again.";

/**
 * A wait as a person would say it. Under a minute it is exact; up to ten minutes it rounds up to the
 * minute; longer waits round up to five minutes, then to the hour: nobody plans around "13 minutes".
 */
export function formatWait(seconds: number): string {
  const whole = Math.max(1, Math.ceil(seconds));
  if (whole < 60) return plural(whole, "second");
  const minutes = Math.ceil(whole / 60);
  if (minutes <= 10) return plural(minutes, "minute");
  if (minutes < 60) return plural(Math.ceil(minutes / 5) * 5, "minute");
  return plural(Math.ceil(minutes / 60), "hour");
}

/** "Resend in 42 s": short enough for a button that counts down every second. */
export function countdownLabel(action: string, secondsLeft: number): string {
  return secondsLeft > 0 ? `${action} in ${secondsLeft} s` : action;
}

const BYTE_LIMIT = /^(?:must be )?at most (\d+) bytes(?: in UTF-8)?$/i;

/**
 * A field message in plain words. bcrypt counts bytes, which nobody types: "at most 72 bytes" becomes
 * characters, with the caveat that accents and emoji take more room.
 */
export function humanizeFieldMessage(message: string): string {
  const limit = BYTE_LIMIT.exec(message.trim());
  if (limit) return `too long: at most ${limit[1]} characters (fewer with accents or emoji)`;
  return message;
}

/** The hint under a new-password field. */
export function passwordLengthHint(minLength: number, maxBytes: number): string {
  return `At least ${minLength} characters, at most ${maxBytes} (fewer with accents or emoji).`;
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? "" : "s"}`;
}
