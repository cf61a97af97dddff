const BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** The same bytes, spelt with the lowest (unused) bit of the last character flipped. */
export function withLowBitFlipped(segment: string): string {
  const last = BASE64URL_ALPHABET.indexOf(segment.charAt(segment.length - 1));
  return segment.slice(0, -1) + BASE64URL_ALPHABET.charAt(last ^ 1);
}
