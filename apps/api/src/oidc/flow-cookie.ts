import { hkdfSync } from "node:crypto";
import { EncryptJWT, jwtDecrypt } from "jose";

/** How long a user may spend at the provider between the authorize redirect and the callback. */
export const FLOW_TTL_SECONDS = 10 * 60;

/** What the browser carries across the provider's redirect: only ever in the encrypted cookie. */
export interface AuthorizationFlow {
  provider: string;
  state: string;
  nonce?: string | undefined;
  codeVerifier: string;
  /** A path of the web app to land on afterwards. */
  returnTo?: string | undefined;
  /** A signed-in user linking an identity: who, and their token boundary then (epoch ms). */
  link?: { userId: string; tokensBoundary: number } | undefined;
}

export interface FlowCookieSealer {
  seal(flow: AuthorizationFlow): Promise<string>;
  /** The flow, or null when the value is missing, forged, expired or for another provider. */
  open(value: string | undefined, provider: string): Promise<AuthorizationFlow | null>;
}

/**
 * The state, nonce and PKCE verifier of a sign-in in flight, sealed into a cookie (JWE, `dir` +
 * A256GCM: encrypted and authenticated, so the browser can neither read the verifier nor change a
 * field) under a key derived from the service secret. The audience names the provider, so a flow
 * begun for one provider cannot finish at another's callback.
 */
export function createFlowCookieSealer(secret: string): FlowCookieSealer {
  const key = new Uint8Array(hkdfSync("sha256", secret, Buffer.alloc(0), "oidc flow cookie v1", 32));
  const audience = (provider: string) => `oidc-flow:${provider}`;
  return {
    async seal(flow) {
      return new EncryptJWT({ flow })
        .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
        .setAudience(audience(flow.provider))
        .setIssuedAt()
        .setExpirationTime(`${FLOW_TTL_SECONDS}s`)
        .encrypt(key);
    },
    async open(value, provider) {
      if (!value) return null;
      try {
        const { payload } = await jwtDecrypt(value, key, {
          audience: audience(provider),
          keyManagementAlgorithms: ["dir"],
          contentEncryptionAlgorithms: ["A256GCM"],
        });
        const flow = payload.flow as AuthorizationFlow | undefined;
        return flow?.provider === provider ? flow : null;
      } catch {
        return null;
      }
    },
  };
}
