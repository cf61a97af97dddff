/**
 * QR codes drawn in the page from the data alone (uqr encodes; no image service sees the secret). The
 * result is an SVG document for an `<img src="data:…">`, which the page's CSP allows (`img-src data:`);
 * it carries no style or script of its own.
 */
import { encode } from "uqr";

/** An SVG of `data` as a QR code: one path of unit squares on a white background with a quiet zone. */
export function qrCodeSvg(data: string): string {
  // Medium error correction survives a scuffed or glary screen; the 4-module border is the standard quiet zone.
  const { size, data: modules } = encode(data, { ecc: "M", border: 4 });
  const squares: string[] = [];
  modules.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) squares.push(`M${x} ${y}h1v1h-1z`);
    });
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges">` +
    `<rect width="${size}" height="${size}" fill="#fff"/>` +
    `<path d="${squares.join("")}" fill="#000"/></svg>`
  );
}

/** The QR code as a data: URL for an image. */
export function qrCodeDataUrl(data: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(qrCodeSvg(data))}`;
}
