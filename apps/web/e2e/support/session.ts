/**
 * Simulating an access token that expired in the page's memory: the token lives in a closure the test
 * cannot reach, so the next matching request is sent with an expired (correctly signed) token instead of
 * the one the page attached. The server refuses it for real; what the page does next is the test.
 */
import type { Page } from "playwright-core";

/** Swaps the Authorization of the next `method path` request for `token`; returns how often it did. */
export async function presentOnce(
  page: Page,
  method: string,
  path: string,
  token: string,
): Promise<() => number> {
  let swapped = 0;
  await page.route(
    (url) => url.pathname === path,
    async (route) => {
      const request = route.request();
      if (swapped > 0 || request.method() !== method || !request.headers()["authorization"]) {
        await route.continue();
        return;
      }
      swapped += 1;
      await route.continue({ headers: { ...request.headers(), authorization: `Bearer ${token}` } });
    },
  );
  return () => swapped;
}
