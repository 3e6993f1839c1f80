import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { QUIET_ZONE, qrPath, viewerLink } from './qr.ts';

/** Which modules the path paints, read back from its "M x y h w v1 …z" runs. */
function painted(path: string): Set<string> {
  const out = new Set<string>();
  for (const m of path.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    const [x, y, w] = [Number(m[1]), Number(m[2]), Number(m[3])];
    for (let i = 0; i < w; i++) out.add(`${x + i},${y}`);
  }
  return out;
}

describe('QR code of the viewer link', () => {
  const link = 'http://192.168.5.20:8787/?token=' + 'ab'.repeat(32) + '&lang=zh-CN';

  it('paints exactly the dark modules of the encoded symbol, inside a quiet zone', () => {
    const { size, path } = qrPath(link);
    const { modules } = QRCode.create(link, { errorCorrectionLevel: 'M' });
    expect(size).toBe(modules.size + 2 * QUIET_ZONE);
    const got = painted(path);
    let dark = 0;
    for (let r = 0; r < modules.size; r++) {
      for (let c = 0; c < modules.size; c++) {
        const on = Boolean(modules.get(r, c));
        if (on) dark++;
        expect(got.has(`${c + QUIET_ZONE},${r + QUIET_ZONE}`), `${r},${c}`).toBe(on);
      }
    }
    expect(got.size).toBe(dark);
  });

  it('has the three finder squares in the corners (what a phone camera looks for)', () => {
    const got = painted(qrPath(link).path);
    const n = qrPath(link).size - 2 * QUIET_ZONE;
    for (const [r0, c0] of [[0, 0], [0, n - 7], [n - 7, 0]] as const) {
      for (let i = 0; i < 7; i++) {
        expect(got.has(`${c0 + i + QUIET_ZONE},${r0 + QUIET_ZONE}`)).toBe(true); // top edge of the square
        expect(got.has(`${c0 + QUIET_ZONE},${r0 + i + QUIET_ZONE}`)).toBe(true); // left edge
      }
    }
  });

  it('adds the teacher’s language to the link and keeps the viewer token', () => {
    const u = new URL(viewerLink('http://10.0.0.5:8787/?token=v123', 'zh-TW'));
    expect(u.searchParams.get('token')).toBe('v123');
    expect(u.searchParams.get('lang')).toBe('zh-TW');
  });
});
