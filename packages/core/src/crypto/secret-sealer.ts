import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const CIPHERTEXT_VERSION = "v1.";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A stored secret could not be opened: wrong secret, altered ciphertext, or moved to another row. */
export class SealedSecretError extends Error {
  override readonly name = "SealedSecretError";
}

/**
 * Encrypts small secrets at rest: AES-256-GCM under a key derived from `secret` with HKDF-SHA256 and a
 * purpose label (`info`), so one server secret yields independent keys per use; a random 96-bit IV per
 * value, and caller-chosen authenticated data (the row's id), so a ciphertext copied onto another row
 * fails to open just as a wrong secret or a flipped bit does. Output: `v1.` + base64url(iv ‖ ct ‖ tag).
 * @example
 * const sealer = createSecretSealer(config.jwt.secret, "totp secret v1");
 * const stored = sealer.seal(`totp:${userId}`, secretBytes);
 * sealer.open(`totp:${userId}`, stored); // the bytes, or SealedSecretError
 */
export function createSecretSealer(secret: string, info: string) {
  if (secret.length === 0) throw new RangeError("The encryption secret must not be empty");
  const key = Buffer.from(hkdfSync("sha256", secret, Buffer.alloc(0), info, 32));

  return {
    seal(associatedData: string, plaintext: Uint8Array): string {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(associatedData, "utf8"));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return CIPHERTEXT_VERSION + Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url");
    },

    /** @throws SealedSecretError */
    open(associatedData: string, sealed: string): Buffer {
      try {
        if (!sealed.startsWith(CIPHERTEXT_VERSION)) throw new Error("unknown ciphertext version");
        const bytes = Buffer.from(sealed.slice(CIPHERTEXT_VERSION.length), "base64url");
        if (bytes.length < IV_BYTES + TAG_BYTES + 1) throw new Error("ciphertext too short");
        const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(associatedData, "utf8"));
        decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
        return Buffer.concat([
          decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
          decipher.final(),
        ]);
      } catch (error) {
        throw new SealedSecretError("The sealed secret could not be opened", { cause: error });
      }
    },
  };
}

export type SecretSealer = ReturnType<typeof createSecretSealer>;
