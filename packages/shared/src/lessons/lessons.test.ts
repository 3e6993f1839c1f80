import { describe, expect, it } from 'vitest';
import { LESSON_LANGS, LESSONS, lessonById, lessonStep, listingText, renderListing, type Listing, type Text } from './index.ts';

const LESSON_IDS = ['tcp-hello', 'tcp-handshake', 'tcp-teardown', 'tcp-buffers', 'tcp-stream', 'tcp-echo', 'tcp-refused', 'udp-echo'];
const CJK = /[\u4e00-\u9fff]/;

function texts(): { where: string; text: Text }[] {
  const out: { where: string; text: Text }[] = [];
  for (const l of LESSONS) {
    out.push({ where: `${l.id} title`, text: l.title }, { where: `${l.id} summary`, text: l.summary });
    for (const s of l.steps) out.push({ where: `${l.id}/${s.id} explain`, text: s.explain });
    for (const [side, listing] of Object.entries(l.listings)) {
      listing.lines.forEach((line, i) => { if (line.kind === 'comment') out.push({ where: `${l.id} ${side} line ${i + 1}`, text: line.text }); });
    }
  }
  return out;
}

function listings(): { where: string; listing: Listing }[] {
  return LESSONS.flatMap((l) => Object.entries(l.listings).map(([side, listing]) => ({ where: `${l.id} ${side}`, listing })));
}

describe('lessons', () => {
  it('are the eight lessons of LESSONS.md, in teaching order, found by id', () => {
    expect(LESSONS.map((l) => l.id)).toEqual(LESSON_IDS);
    for (const id of LESSON_IDS) expect(lessonById(id)?.id).toBe(id);
    expect(lessonById('nope')).toBeUndefined();
    expect(lessonStep('tcp-hello', 'server.accept')?.lines.server?.length).toBeGreaterThan(0);
  });

  it('every text exists in zh-CN, zh-TW and en, on one line, and the Chinese ones are Chinese', () => {
    for (const { where, text } of texts()) {
      for (const lang of LESSON_LANGS) {
        expect(text[lang]?.trim().length, `${where} [${lang}]`).toBeGreaterThan(0);
        expect(text[lang], `${where} [${lang}] must be one line`).not.toMatch(/\n/);
      }
      expect(text['zh-CN'], `${where} zh-CN`).toMatch(CJK);
      expect(text['zh-TW'], `${where} zh-TW`).toMatch(CJK);
    }
  });

  it('titles and summaries are distinct per language (not copied English)', () => {
    for (const l of LESSONS) {
      expect(l.summary.en, l.id).not.toBe(l.summary['zh-CN']);
      expect(l.summary['zh-TW'], l.id).not.toBe(l.summary['zh-CN']);
    }
  });

  it('step ids are unique within a lesson, and every step points at lines of its role', () => {
    for (const l of LESSONS) {
      const ids = l.steps.map((s) => s.id);
      expect(new Set(ids).size, `${l.id} step ids ${ids.join(', ')}`).toBe(ids.length);
      for (const s of l.steps) {
        const count = (s.lines.server?.length ?? 0) + (s.lines.client?.length ?? 0);
        expect(count, `${l.id}/${s.id} lights no line`).toBeGreaterThan(0);
        if (s.role === 'server') expect(s.lines.server?.length, `${l.id}/${s.id}`).toBeGreaterThan(0);
        if (s.role === 'client') expect(s.lines.client?.length, `${l.id}/${s.id}`).toBeGreaterThan(0);
      }
    }
  });

  it('every step line number exists in its listing and is a line of code (not a comment or blank)', () => {
    for (const l of LESSONS) {
      for (const s of l.steps) {
        for (const side of ['server', 'client'] as const) {
          const nums = s.lines[side];
          if (!nums) continue;
          const listing = l.listings[side];
          expect(listing, `${l.id}/${s.id} points into a ${side} listing that does not exist`).toBeDefined();
          for (const n of nums) {
            expect(n >= 1 && n <= listing!.lines.length, `${l.id}/${s.id} ${side} line ${n} of ${listing!.lines.length}`).toBe(true);
            expect(listing!.lines[n - 1]!.kind, `${l.id}/${s.id} ${side} line ${n}`).toBe('code');
          }
          expect([...nums].toSorted((a, b) => a - b)).toEqual(nums);
        }
      }
    }
  });

  it('a listing renders to the same number of lines in every language, so line numbers hold in all three', () => {
    for (const { where, listing } of listings()) {
      const counts = LESSON_LANGS.map((lang) => renderListing(listing, lang).length);
      expect(new Set(counts).size, where).toBe(1);
      for (const lang of LESSON_LANGS) {
        const text = listingText(listing, lang);
        expect(text.split('\n').length - 1, `${where} [${lang}]`).toBe(listing.lines.length);
      }
      for (const line of listing.lines) if (line.kind === 'code') expect(line.code, where).not.toMatch(/[\n\t]/);
    }
  });

  it('comments speak the reader’s language: a zh-CN listing has Chinese comments, an en listing none', () => {
    const hello = lessonById('tcp-hello')!.listings.server!;
    expect(renderListing(hello, 'zh-CN').join('\n')).toContain('# 1. 创建套接字');
    expect(renderListing(hello, 'zh-TW').join('\n')).toContain('# 1. 建立套接字');
    const en = renderListing(hello, 'en');
    expect(en.join('\n')).toContain('# 1. create a socket');
    expect(en.filter((line) => line.trimStart().startsWith('#')).some((line) => CJK.test(line))).toBe(false);
  });

  it('a lesson moved with --port shows the port really used, on the same lines', () => {
    const lesson = lessonById('tcp-hello')!;
    const moved = renderListing(lesson.listings.server!, 'en', { from: 8888, to: 20000 });
    expect(moved.join('\n')).toContain("server.bind(('127.0.0.1', 20000))");
    expect(moved.join('\n')).toContain("print('waiting on 127.0.0.1:20000')");
    expect(moved.join('\n')).not.toContain('8888');
    expect(moved.length).toBe(lesson.listings.server!.lines.length);
  });

  it('each listing uses its lesson’s tutorial port and the steps the course teaches', () => {
    for (const l of LESSONS) {
      for (const listing of Object.values(l.listings)) {
        expect(listingText(listing, 'en'), `${l.id} ${listing.file}`).toContain(`'127.0.0.1', ${l.ports[0]}`);
      }
    }
    const byPort = Object.fromEntries(LESSONS.map((l) => [l.id, l.ports[0]]));
    expect(byPort).toMatchObject({ 'tcp-hello': 8888, 'tcp-teardown': 8989, 'tcp-handshake': 12000, 'tcp-echo': 9999, 'udp-echo': 9998 });
    const echo = listingText(lessonById('tcp-echo')!.listings.server!, 'en');
    expect(echo).toContain('server.listen(5)');
    expect(listingText(lessonById('tcp-teardown')!.listings.server!, 'en')).toContain('SO_REUSEADDR');
    expect(listingText(lessonById('tcp-teardown')!.listings.server!, 'en')).toContain('server.listen(128)');
    expect(listingText(lessonById('tcp-handshake')!.listings.server!, 'en')).toContain('server.listen(1)');
  });
});
