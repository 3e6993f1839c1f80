import { describe, expect, it } from 'vitest';
import { TCP_ANALYSIS } from '@socketscope/shared';
import { EDGES, NODES } from '../../views/machine/layout.ts';
import { buffersEn } from './buffers.en.ts';
import { buffersZhCN } from './buffers.zh-CN.ts';
import { buffersZhTW } from './buffers.zh-TW.ts';
import { ladderEn } from './ladder.en.ts';
import { ladderZhCN } from './ladder.zh-CN.ts';
import { ladderZhTW } from './ladder.zh-TW.ts';
import { machineEn } from './machine.en.ts';
import { machineZhCN } from './machine.zh-CN.ts';
import { machineZhTW } from './machine.zh-TW.ts';

const parts = {
  ladder: { en: ladderEn, 'zh-CN': ladderZhCN, 'zh-TW': ladderZhTW },
  machine: { en: machineEn, 'zh-CN': machineZhCN, 'zh-TW': machineZhTW },
  buffers: { en: buffersEn, 'zh-CN': buffersZhCN, 'zh-TW': buffersZhTW },
};
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).toSorted().join();
const allEn: Record<string, string> = { ...ladderEn, ...machineEn, ...buffersEn };

// the views' sources, to find every key they use
const sources = import.meta.glob(['../../views/{ladder,machine,buffers}/*.{ts,tsx}', '!**/*.test.ts', '!**/harness.tsx', '!**/demo.ts'], { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

describe('locale parts of the ladder, state machine and buffer views', () => {
  for (const [view, locales] of Object.entries(parts)) {
    const en = locales.en;
    for (const [locale, messages] of Object.entries(locales)) {
      it(`${view}.${locale}: exactly the English keys, the same {placeholders}, no empty message`, () => {
        expect(Object.keys(messages).toSorted()).toEqual(Object.keys(en).toSorted());
        expect(Object.keys(en).filter((k) => placeholders(messages[k]!) !== placeholders(en[k]!))).toEqual([]);
        expect(Object.entries(messages).filter(([, v]) => v.trim() === '').map(([k]) => k)).toEqual([]);
        expect(Object.keys(messages).every((k) => k.startsWith(`${view}.`))).toBe(true);
      });
    }
  }

  it('every key the views name in their code exists', () => {
    const used = new Set<string>();
    for (const src of Object.values(sources)) {
      for (const m of src.matchAll(/['"`]((?:ladder|machine|buffers)\.[\w.-]+)['"`]/g)) {
        if (!/\.(ts|tsx|css)$/.test(m[1]!)) used.add(m[1]!);
      }
    }
    expect(used.size).toBeGreaterThan(40);
    expect([...used].filter((k) => !(k in allEn))).toEqual([]);
  });

  it('every key the views build from data exists', () => {
    const built = [
      ...['client', 'listener', 'accepted', 'udp', 'unknown', 'endpoint', 'closedPort'].flatMap((r) => [`ladder.role.${r}`, `ladder.roleShort.${r}`]),
      ...TCP_ANALYSIS.map((a) => `ladder.analysis.${a}`),
      ...['incoming', 'peer-closed', 'error', 'closed', 'writable', 'blocked'].map((w) => `ladder.notice.${w}`),
      ...['kernel', 'wire'].flatMap((s) => ['on', 'off', 'stopped'].map((st) => `ladder.note.${s}.${st}`)),
      ...['handshake', 'teardown'].map((p) => `ladder.phase.${p}`),
      ...EDGES.map((e) => e.label),
      ...NODES.filter((n) => n.id !== 'CLOSED_END').map((n) => `machine.desc.${n.state}`),
    ];
    expect(built.filter((k) => !(k in allEn))).toEqual([]);
  });

  it('Chinese carries the course’s own terms, with SYN/ACK/TIME_WAIT kept as they are', () => {
    const zhCN = Object.values({ ...ladderZhCN, ...machineZhCN, ...buffersZhCN }).join('\n');
    for (const term of ['三次握手', '四次挥手', '发送缓冲区', '接收缓冲区', '客户端', '服务端', '粘包', 'SYN', 'ACK', 'TIME_WAIT']) expect(zhCN).toContain(term);
    const zhTW = Object.values({ ...ladderZhTW, ...machineZhTW, ...buffersZhTW }).join('\n');
    for (const term of ['三次握手', '四次揮手', '發送緩衝區', '接收緩衝區', '客戶端', '服務端']) expect(zhTW).toContain(term);
    expect(ladderZhCN['ladder.inferred']).not.toBe(ladderEn['ladder.inferred']);
    expect(ladderZhTW['ladder.lane.synthetic']).not.toBe(ladderZhCN['ladder.lane.synthetic']);
  });
});
