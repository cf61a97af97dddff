/**
 * Where to go after signing in: the page the person asked for, carried in `/sign-in?next=…`. Only a path
 * of this site is followed; anything that could leave it (`//evil.example`, `https://…`, `/\evil`,
 * `javascript:`) falls back to the profile, so the sign-in page is no open redirect.
 */
export const RETURN_PARAM = "next";
export const DEFAULT_RETURN_PATH = "/profile";
/** Pages a return to would only bounce from (they are for signed-out visitors, or end the session). */
const NO_RETURN = new Set(["/", "/sign-in", "/register", "/forgot-password", "/sign-out"]);
/** Any base will do: only whether the value stays on it matters. */
const BASE = "https://return-to.invalid";

/** The path (with its query) to return to, when `value` is a same-origin relative path worth returning to. */
export function safeReturnPath(value: string | null | undefined): string | undefined {
  if (!value?.startsWith("/") || value.startsWith("//")) return undefined;
  // Browsers read "\" as "/" in URLs, so "/\evil.example" is "//evil.example"; no control characters either.
  if (value.includes("\\") || [...value].some((char) => char < " " || char === "\u007f")) return undefined;
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return undefined;
  }
  if (url.origin !== BASE || NO_RETURN.has(url.pathname)) return undefined;
  return `${url.pathname}${url.search}`;
}

/** `/sign-in`, remembering `path` when it is worth returning to. */
export function signInPath(path: string): string {
  const next = safeReturnPath(path);
  return next === undefined ? "/sign-in" : `/sign-in?${new URLSearchParams({ [RETURN_PARAM]: next })}`;
}

/** Where a sign-in whose page was opened with `query` continues. */
export function returnPathFrom(query: URLSearchParams): string {
  return safeReturnPath(query.get(RETURN_PARAM)) ?? DEFAULT_RETURN_PATH;
}
