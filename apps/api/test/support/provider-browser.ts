/**
 * What a browser does at an identity provider, over fetch: follow its redirects (keeping its cookies)
 * until it sends the browser to `stopAt` (our callback), and return that URL.
 */
export async function followProviderRedirects(start: string, stopAt: string): Promise<string> {
  const jar = new Map<string, string>();
  let url = start;
  for (let hop = 0; hop < 20; hop++) {
    if (url.startsWith(stopAt)) return url;
    const response = await fetch(url, {
      redirect: "manual",
      headers: { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join("; ") },
    });
    for (const cookie of response.headers.getSetCookie()) {
      const pair = cookie.split(";")[0] ?? "";
      const at = pair.indexOf("=");
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      if (value === "" || /expires=Thu, 01 Jan 1970/i.test(cookie)) jar.delete(name);
      else jar.set(name, value);
    }
    const location = response.headers.get("location");
    if (!location) throw new Error(`the provider stopped at ${response.status}: ${await response.text()}`);
    url = new URL(location, url).href;
  }
  throw new Error("too many redirects at the provider");
}

/** The value of one cookie in a response's Set-Cookie headers, and its attributes. */
export function setCookie(
  response: Response,
  name: string,
): { value: string; attributes: string } | undefined {
  for (const cookie of response.headers.getSetCookie()) {
    const [pair = "", ...rest] = cookie.split(";");
    if (pair.startsWith(`${name}=`))
      return { value: pair.slice(name.length + 1), attributes: rest.join(";").trim() };
  }
  return undefined;
}
