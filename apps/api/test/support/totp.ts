import { totpCodeForStep, totpStepAt } from "@app/core";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 (no padding), as the setup response gives the secret. */
export function decodeBase32(text: string): Uint8Array {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text.replace(/=+$/, "").toUpperCase()) {
    const value = ALPHABET.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${char}`);
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return new Uint8Array(bytes);
}

/** The code an authenticator app shows at `epochMs` for this base32 secret, `offset` steps away. */
export function totpCode(secretBase32: string, epochMs: number, offset = 0): string {
  return totpCodeForStep(decodeBase32(secretBase32), totpStepAt(epochMs) + offset);
}

/** The claims of a JWT, unverified (the tests only read `amr`). */
export function jwtClaims(token: string): Record<string, unknown> {
  const payload = token.split(".")[1] ?? "";
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}

/** A clock the test moves by hand, so TOTP steps are deterministic. */
export function manualClock(start = Date.UTC(2026, 10, 30, 12, 0, 5)) {
  let now = start;
  return {
    now: () => now,
    advanceSteps(steps: number) {
      now += steps * 30_000;
    },
  };
}
