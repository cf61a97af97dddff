import { describe, expect, it } from "vitest";
import { createSecretSealer, SealedSecretError } from "./secret-sealer.js";

describe("createSecretSealer", () => {
  const secret = "a long random secret for the tests 0123456789";
  const plaintext = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

  it("opens what it sealed, with a fresh IV each time", () => {
    const sealer = createSecretSealer(secret, "totp secret encryption v1");
    const first = sealer.seal("totp:a", plaintext);
    const second = sealer.seal("totp:a", plaintext);
    expect(first).not.toBe(second);
    expect(first.startsWith("v1.")).toBe(true);
    expect(new Uint8Array(sealer.open("totp:a", first))).toEqual(plaintext);
  });

  it("refuses another row's data, another secret, another purpose label and a flipped bit", () => {
    const sealer = createSecretSealer(secret, "totp secret encryption v1");
    const sealed = sealer.seal("totp:a", plaintext);
    expect(() => sealer.open("totp:b", sealed)).toThrow(SealedSecretError);
    expect(() =>
      createSecretSealer(`${secret}!`, "totp secret encryption v1").open("totp:a", sealed),
    ).toThrow(SealedSecretError);
    expect(() => createSecretSealer(secret, "signing-key encryption v1").open("totp:a", sealed)).toThrow(
      SealedSecretError,
    );
    const bytes = Buffer.from(sealed.slice(3), "base64url");
    bytes[20] = (bytes[20] ?? 0) ^ 1;
    expect(() => sealer.open("totp:a", `v1.${bytes.toString("base64url")}`)).toThrow(SealedSecretError);
    expect(() => sealer.open("totp:a", "v2.AAAA")).toThrow(SealedSecretError);
  });
});
