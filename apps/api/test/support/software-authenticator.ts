/**
 * A passkey authenticator in software, for HTTP tests: an ES256 (P-256) key per credential, attestation
 * `none`, and responses shaped exactly as a browser's `PublicKeyCredential.toJSON()` (base64url fields).
 * Each assertion moves the credential's sign counter by one, as hardware does; `setCounter` winds it
 * back to act as a clone of the authenticator.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";

const FLAG_USER_PRESENT = 0x01;
const FLAG_USER_VERIFIED = 0x04;
const FLAG_BACKUP_ELIGIBLE = 0x08;
const FLAG_BACKED_UP = 0x10;
const FLAG_ATTESTED_CREDENTIAL = 0x40;

const b64url = (bytes: Uint8Array | Buffer) => Buffer.from(bytes).toString("base64url");
const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest();

export interface SoftwareCredential {
  id: Buffer;
  privateKey: KeyObject;
  cosePublicKey: Uint8Array;
  userHandle: string;
  counter: number;
}

export interface CeremonyOverrides {
  /** The origin the "browser" reports (default: the authenticator's). */
  origin?: string;
  /** The RP ID whose hash goes into authenticatorData (default: the options' or the authenticator's). */
  rpId?: string;
}

export class SoftwareAuthenticator {
  readonly credentials: SoftwareCredential[] = [];

  constructor(
    readonly origin: string,
    readonly rpId: string,
  ) {}

  /** Answers creation options (from `POST /v1/users/me/passkeys/options`) with a new credential. */
  create(options: Record<string, unknown>, overrides: CeremonyOverrides = {}) {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    const cosePublicKey = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, new Uint8Array(Buffer.from(jwk.x ?? "", "base64url"))],
        [-3, new Uint8Array(Buffer.from(jwk.y ?? "", "base64url"))],
      ]),
    );
    const user = options.user as { id: string };
    const credential: SoftwareCredential = {
      id: randomBytes(16),
      privateKey,
      cosePublicKey,
      userHandle: user.id,
      counter: 0,
    };
    const rp = options.rp as { id?: string };
    const rpId = overrides.rpId ?? rp.id ?? this.rpId;
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credential.id.length);
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([
        FLAG_USER_PRESENT |
          FLAG_USER_VERIFIED |
          FLAG_BACKUP_ELIGIBLE |
          FLAG_BACKED_UP |
          FLAG_ATTESTED_CREDENTIAL,
      ]),
      counterBytes(credential.counter),
      Buffer.alloc(16), // AAGUID: none
      idLength,
      credential.id,
      Buffer.from(cosePublicKey),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", new Uint8Array(authData)],
      ]) as Parameters<typeof isoCBOR.encode>[0],
    );
    const clientDataJSON = this.clientData("webauthn.create", String(options.challenge), overrides);
    this.credentials.push(credential);
    return {
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: "public-key",
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: ["internal"],
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }

  /**
   * Answers request options with an assertion from `credential` (default: the first one allowed, or
   * the first this authenticator holds when the options allow any discoverable credential).
   */
  get(
    options: Record<string, unknown>,
    overrides: CeremonyOverrides & { credential?: SoftwareCredential } = {},
  ) {
    const allowed = ((options.allowCredentials as { id: string }[] | undefined) ?? []).map(
      (entry) => entry.id,
    );
    const credential =
      overrides.credential ??
      this.credentials.find((candidate) => allowed.length === 0 || allowed.includes(b64url(candidate.id)));
    if (!credential) throw new Error("no credential of this authenticator is allowed by the options");
    credential.counter += 1;
    const rpId = overrides.rpId ?? (options.rpId as string | undefined) ?? this.rpId;
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([FLAG_USER_PRESENT | FLAG_USER_VERIFIED | FLAG_BACKUP_ELIGIBLE | FLAG_BACKED_UP]),
      counterBytes(credential.counter),
    ]);
    const clientDataJSON = this.clientData("webauthn.get", String(options.challenge), overrides);
    const signature = sign(
      "sha256",
      Buffer.concat([authData, sha256(clientDataJSON)]),
      credential.privateKey,
    );
    return {
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: "public-key",
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: credential.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }

  /** Winds a credential's counter to `value` (a clone of the authenticator made earlier). */
  setCounter(credential: SoftwareCredential, value: number): void {
    credential.counter = value;
  }

  private clientData(type: string, challenge: string, overrides: CeremonyOverrides): Buffer {
    return Buffer.from(
      JSON.stringify({ type, challenge, origin: overrides.origin ?? this.origin, crossOrigin: false }),
      "utf8",
    );
  }
}

function counterBytes(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}
