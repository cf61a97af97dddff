import { createHash, randomBytes } from "node:crypto";
import { encodeBase32LowerCaseNoPadding } from "@oslojs/encoding";

export const RECOVERY_CODES_PER_SET = 10;
/** 10 bytes = 80 random bits per code: 16 base32 characters, shown in four groups. */
const RECOVERY_CODE_BYTES = 10;

/** A fresh set of recovery codes, e.g. `k3vq-7h2m-x9pa-4dfe`. Shown once; only their hashes are kept. */
export function generateRecoveryCodes(count = RECOVERY_CODES_PER_SET): string[] {
  return Array.from({ length: count }, () => {
    const plain = encodeBase32LowerCaseNoPadding(randomBytes(RECOVERY_CODE_BYTES));
    return plain.match(/.{4}/g)?.join("-") ?? plain;
  });
}

/**
 * SHA-256 (base64url) of a code in canonical form: case, spaces and hyphens do not matter, so a code
 * typed as `K3VQ 7H2M X9PA 4DFE` is the same code. A fast hash is sound here because the input has 80
 * random bits; a slow, salted hash protects guessable secrets and would rule out lookup by hash.
 */
export function hashRecoveryCode(code: string): string {
  const canonical = code.toLowerCase().replace(/[\s-]/g, "");
  return createHash("sha256").update(canonical, "utf8").digest("base64url");
}
