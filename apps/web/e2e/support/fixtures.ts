/** The administrator the global setup writes into the database (no public route creates one). */
export const ADMIN = {
  email: "admin@example.com",
  password: "admin password 1",
  fullName: "Grace Hopper",
} as const;

/** The server's signing key in these tests, so a test can forge an expired token. */
export const E2E_JWT_SECRET = "e2e-secret-0123456789-abcdefghijklmnopqrstuvwxyz";

let counter = 0;
/** A fresh address per call, so tests sharing one server never collide. */
export function uniqueEmail(tag: string): string {
  counter += 1;
  return `${tag}-${Date.now()}-${counter}@example.com`;
}

/** Registers through the API directly (for tests whose subject is another page). */
export async function registerViaApi(
  baseUrl: string,
  user: { email: string; password: string; full_name?: string },
): Promise<{ id: string; email: string }> {
  const response = await fetch(`${baseUrl}/v1/users/`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(user),
  });
  if (response.status !== 201)
    throw new Error(`register failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string; email: string };
}
