/**
 * What a browser adds to the web app's requests, for api-client.ts running in Node: a cookie jar that
 * keeps `Set-Cookie` and sends each cookie only to the paths it is scoped to (RFC 6265 path-match), and
 * the `Origin` header a browser puts on every POST. Enough to run the client's cookie mode against the
 * real server; the browser tests check what Chromium itself does.
 */
export interface CookieJar {
  fetch: typeof fetch;
  /** The value of the cookie named `name` that a request to `path` would carry. */
  valueFor(name: string, path: string): string | undefined;
  /** Every stored cookie, as `name@path`. */
  keys(): string[];
  set(name: string, path: string, value: string): void;
}

export function createCookieJar(origin: string): CookieJar {
  const cookies = new Map<string, { name: string; path: string; value: string }>();

  function matching(path: string) {
    return [...cookies.values()].filter(
      (cookie) =>
        path === cookie.path || path.startsWith(cookie.path.endsWith("/") ? cookie.path : `${cookie.path}/`),
    );
  }

  function store(line: string) {
    const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
    const name = pair.slice(0, pair.indexOf("="));
    const value = pair.slice(pair.indexOf("=") + 1);
    const path = attributes.find((a) => /^path=/i.test(a))?.slice(5) ?? "/";
    const maxAge = attributes.find((a) => /^max-age=/i.test(a))?.slice(8);
    const key = `${name}@${path}`;
    if (maxAge !== undefined && Number(maxAge) <= 0) cookies.delete(key);
    else cookies.set(key, { name, path, value });
  }

  const jarFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const headers = new Headers(request.headers);
    const url = new URL(request.url);
    const sent = matching(url.pathname);
    if (sent.length > 0) headers.set("cookie", sent.map((c) => `${c.name}=${c.value}`).join("; "));
    if (request.method !== "GET" && request.method !== "HEAD") headers.set("origin", origin);
    const response = await fetch(new Request(request, { headers }));
    for (const line of response.headers.getSetCookie()) store(line);
    return response;
  };

  return {
    fetch: jarFetch,
    valueFor: (name, path) => matching(path).find((cookie) => cookie.name === name)?.value,
    keys: () => [...cookies.keys()].sort(),
    set: (name, path, value) => cookies.set(`${name}@${path}`, { name, path, value }),
  };
}
