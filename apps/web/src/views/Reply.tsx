import type { TextEncodingName } from '@socketscope/shared';
import { errorHintKey } from '../i18n/index.ts';
import { useT } from '../i18n/useT.ts';
import { describeResult } from '../format/result.ts';
import { BLOCKING_OPS } from '../connection/client.ts';
import { useApp } from '../store/store.ts';

/** The last reply to a call made from `target` (a playground form or a socket card), errors in plain words. */
export function ReplyLine({ target, encoding = 'utf8' }: { target: string; encoding?: TextEncodingName }) {
  const t = useT();
  const entry = useApp((s) => s.replies[target]);
  if (!entry) return null;
  if (entry.pending || !entry.reply) {
    const blocked = BLOCKING_OPS.has(entry.op);
    return (
      <div className={`reply reply-pending ${blocked ? 'blocked' : ''}`} data-testid={`reply-${target}`} data-pending="true" aria-live="polite">
        {blocked ? '‖' : '…'} <strong>{entry.op}</strong>: {t(blocked ? 'reply.blocked' : 'reply.pending')}
      </div>
    );
  }
  const r = entry.reply;
  if (r.ok) {
    return (
      <div className="reply reply-ok" data-testid={`reply-${target}`} data-ok="true" aria-live="polite">
        <span aria-hidden="true">✓ </span><strong>{entry.op}</strong> {t('reply.ok')}: {describeResult(r.result, t, encoding)}
      </div>
    );
  }
  return (
    <div className="reply reply-error" data-testid={`reply-${target}`} data-ok="false" data-code={r.error.code} role="alert">
      <span aria-hidden="true">✗ </span><strong>{entry.op}</strong> {t('reply.failed', { code: r.error.code })}
      <ErrorHint code={r.error.code} fallback={r.error.hint} />
      <div className="muted small">{r.error.message}</div>
    </div>
  );
}

export function ErrorHint({ code, fallback }: { code: string; fallback?: string | undefined }) {
  const t = useT();
  const key = errorHintKey(code);
  const text = key ? t(key) : fallback;
  return text ? <div className="hint">{text}</div> : null;
}
