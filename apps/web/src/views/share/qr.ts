import QRCode from 'qrcode';

/** A QR code as one SVG path (dark modules) plus its side in modules, quiet zone included. */
export interface QrPath {
  size: number;
  path: string;
}

/** Modules of light margin around the symbol, as the QR standard asks, so phones find it on a projector. */
export const QUIET_ZONE = 4;

/**
 * Encodes `text` in the page itself (no network, no canvas, no inline markup: CSP-safe) as a path a
 * React <svg> draws. Medium error correction: readable from the back of a room with some glare.
 */
export function qrPath(text: string): QrPath {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const n = modules.size;
  const parts: string[] = [];
  for (let row = 0; row < n; row++) {
    let col = 0;
    while (col < n) {
      if (!modules.get(row, col)) { col++; continue; }
      // one horizontal run of dark modules per path segment keeps the path short
      const start = col;
      while (col < n && modules.get(row, col)) col++;
      parts.push(`M${start + QUIET_ZONE} ${row + QUIET_ZONE}h${col - start}v1h${start - col}z`);
    }
  }
  return { size: n + 2 * QUIET_ZONE, path: parts.join('') };
}

/** The students' link in the teacher's language, so the class starts in the language on the projector. */
export function viewerLink(viewerUrl: string, locale: string): string {
  const u = new URL(viewerUrl);
  u.searchParams.set('lang', locale);
  return u.toString();
}
