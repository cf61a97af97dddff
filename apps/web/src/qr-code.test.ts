import { encode } from "uqr";
import { describe, expect, it } from "vitest";
import { qrCodeDataUrl, qrCodeSvg } from "./qr-code.js";

const URI =
  "otpauth://totp/User%20Management:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=User%20Management&algorithm=SHA1&digits=6&period=30";

/** Reads the dark modules back out of the SVG's path ("M{x} {y}h1v1h-1z" per module). */
function modulesOf(svg: string): { size: number; dark: Set<string> } {
  const size = Number(/viewBox="0 0 (\d+) \1"/.exec(svg)?.[1]);
  const path = /<path d="([^"]*)"/.exec(svg)?.[1] ?? "";
  const dark = new Set([...path.matchAll(/M(\d+) (\d+)h1v1h-1z/g)].map((match) => `${match[1]},${match[2]}`));
  return { size, dark };
}

describe("qrCodeSvg", () => {
  it("draws exactly the modules of the encoded data, with a 4-module quiet zone", () => {
    const { size, dark } = modulesOf(qrCodeSvg(URI));
    const expected = encode(URI, { ecc: "M", border: 4 });
    expect(size).toBe(expected.size);
    for (let y = 0; y < size; y += 1) {
      for (let x = 0; x < size; x += 1) {
        expect(dark.has(`${x},${y}`), `module ${x},${y}`).toBe(expected.data[y]?.[x] ?? false);
      }
    }
    const inQuietZone = [...dark].filter((key) => {
      const [x = 0, y = 0] = key.split(",").map(Number);
      return x < 4 || y < 4 || x >= size - 4 || y >= size - 4;
    });
    expect(inQuietZone).toEqual([]);
    expect(dark.size).toBeGreaterThan(100);
  });

  it("has no style or script, which the page's CSP would have to allow", () => {
    const svg = qrCodeSvg(URI);
    expect(svg).not.toMatch(/style|script|on[a-z]+=/i);
    expect(svg).not.toContain("JBSWY3DP");
  });

  it("becomes a data: URL for an image (img-src allows data:)", () => {
    const url = qrCodeDataUrl(URI);
    expect(url.startsWith("data:image/svg+xml;charset=utf-8,%3Csvg")).toBe(true);
    expect(decodeURIComponent(url.slice(url.indexOf(",") + 1))).toBe(qrCodeSvg(URI));
  });
});
