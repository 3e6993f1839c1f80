/**
 * Builders for capture files with exactly known contents, in either byte order: the unit tests, the
 * fuzz tests and the benchmark make their inputs with these. Not used by the decoder itself.
 */

class Bytes {
  private readonly parts: number[] = [];
  constructor(private readonly le: boolean) {}
  u8(v: number): this { this.parts.push(v & 255); return this; }
  u16(v: number): this {
    const x = v & 0xffff;
    if (this.le) this.parts.push(x & 255, x >> 8); else this.parts.push(x >> 8, x & 255);
    return this;
  }
  u32(v: number): this {
    const x = v >>> 0;
    const b = [x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255];
    this.parts.push(...(this.le ? b.toReversed() : b));
    return this;
  }
  bytes(b: ArrayLike<number>): this { for (let i = 0; i < b.length; i++) this.parts.push(b[i]! & 255); return this; }
  pad4(): this { while (this.parts.length % 4 !== 0) this.parts.push(0); return this; }
  get length(): number { return this.parts.length; }
  done(): Uint8Array { return Uint8Array.from(this.parts); }
}

export interface ClassicFrame {
  tsSec: number;
  /** µs, or ns when the file is nano */
  tsFrac: number;
  data: Uint8Array;
  origLen?: number;
}

export function classicPcap(frames: ClassicFrame[], opts: { le?: boolean; nano?: boolean; linkType?: number; snaplen?: number } = {}): Uint8Array {
  const w = new Bytes(opts.le ?? true);
  w.u32(opts.nano ? 0xa1b23c4d : 0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(opts.snaplen ?? 262144).u32(opts.linkType ?? 1);
  for (const f of frames) w.u32(f.tsSec).u32(f.tsFrac).u32(f.data.length).u32(f.origLen ?? f.data.length).bytes(f.data);
  return w.done();
}

export type NgBlock =
  | { type: 'shb'; major?: number }
  | { type: 'idb'; linkType: number; snaplen?: number; tsresol?: number; tsoffset?: number }
  | { type: 'epb'; iface: number; ts: bigint; data: Uint8Array; origLen?: number }
  | { type: 'pb'; iface: number; ts: bigint; data: Uint8Array; origLen?: number }
  | { type: 'spb'; data: Uint8Array; origLen?: number }
  | { type: 'raw'; blockType: number; body: Uint8Array };

function block(le: boolean, type: number, body: (w: Bytes) => void): Uint8Array {
  const inner = new Bytes(le);
  body(inner);
  inner.pad4();
  const len = inner.length + 12;
  return new Bytes(le).u32(type).u32(len).bytes(inner.done()).u32(len).done();
}

function optionsEnd(w: Bytes): void {
  w.u16(0).u16(0);
}

/** A pcapng stream; each 'shb' starts a section (the first block must be one). */
export function pcapng(blocks: NgBlock[], opts: { le?: boolean } = {}): Uint8Array {
  const le = opts.le ?? true;
  const out: Uint8Array[] = [];
  for (const b of blocks) {
    switch (b.type) {
      case 'shb':
        out.push(block(le, 0x0a0d0d0a, (w) => { w.u32(0x1a2b3c4d).u16(b.major ?? 1).u16(0).u32(0xffffffff).u32(0xffffffff); }));
        break;
      case 'idb':
        out.push(block(le, 1, (w) => {
          w.u16(b.linkType).u16(0).u32(b.snaplen ?? 262144);
          if (b.tsresol !== undefined) w.u16(9).u16(1).u8(b.tsresol).pad4();
          if (b.tsoffset !== undefined) {
            w.u16(14).u16(8);
            const v = BigInt.asUintN(64, BigInt(b.tsoffset));
            const hi = Number(v >> 32n), lo = Number(v & 0xffffffffn);
            if (le) w.u32(lo).u32(hi); else w.u32(hi).u32(lo);
          }
          optionsEnd(w);
        }));
        break;
      case 'epb':
      case 'pb':
        out.push(block(le, b.type === 'epb' ? 6 : 2, (w) => {
          if (b.type === 'epb') w.u32(b.iface); else w.u16(b.iface).u16(0);
          w.u32(Number(b.ts >> 32n)).u32(Number(b.ts & 0xffffffffn)).u32(b.data.length).u32(b.origLen ?? b.data.length).bytes(b.data);
        }));
        break;
      case 'spb':
        out.push(block(le, 3, (w) => { w.u32(b.origLen ?? b.data.length).bytes(b.data); }));
        break;
      case 'raw':
        out.push(block(le, b.blockType, (w) => { w.bytes(b.body); }));
        break;
    }
  }
  return concat(out);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}

/** Link-layer headers around an IP packet, for each supported link type. */
export const link = {
  ethernet(ip: Uint8Array, vlan?: number): Uint8Array {
    const v6 = ip[0]! >> 4 === 6;
    const et = v6 ? [0x86, 0xdd] : [0x08, 0x00];
    const hdr = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, ...(vlan === undefined ? [] : [0x81, 0x00, (vlan >> 8) & 15, vlan & 255]), ...et];
    return concat([Uint8Array.from(hdr), ip]);
  },
  sll(ip: Uint8Array): Uint8Array {
    const v6 = ip[0]! >> 4 === 6;
    return concat([Uint8Array.from([0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, ...(v6 ? [0x86, 0xdd] : [0x08, 0x00])]), ip]);
  },
  sll2(ip: Uint8Array): Uint8Array {
    const v6 = ip[0]! >> 4 === 6;
    return concat([Uint8Array.from([...(v6 ? [0x86, 0xdd] : [0x08, 0x00]), 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0]), ip]);
  },
  /** BSD NULL: the address family in the writer's byte order */
  null(ip: Uint8Array, af: number, le: boolean): Uint8Array {
    const h = new Bytes(le).u32(af).done();
    return concat([h, ip]);
  },
};

/** ASCII text → bytes and back (TextEncoder is not in this package's ES2023 lib). */
export function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0) & 255);
}
export function asciiOf(b: Uint8Array): string {
  return String.fromCharCode(...b);
}
