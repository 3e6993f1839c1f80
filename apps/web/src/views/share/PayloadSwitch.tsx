import { useEffect, useState } from 'react';
import { currentLink } from '../../session/link.ts';
import { useT } from '../../i18n/useT.ts';
import { useApp } from '../../store/store.ts';

/**
 * The teacher's switch (issue 16, item 7): whether the students' read-only pages get the payload bytes
 * (a test secret typed into a shared session was readable on a student's page). The agent holds the
 * setting — hidden by default while sharing — and applies it to every read-only page (viewer-pool.ts V7);
 * this button shows it and flips it with `share.payloads`. It is always in view beside the viewer count,
 * so the teacher sees at a glance what the class can read.
 */
export function PayloadSwitch() {
  const t = useT();
  const live = useApp((s) => s.conn.status === 'live');
  const share = useApp((s) => s.share);
  const link = share?.viewerUrl;
  const [hidden, setHidden] = useState<boolean | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  // ask the agent on every (re)connection: another teacher tab may have changed it meanwhile
  useEffect(() => {
    if (!live || !link) return;
    let gone = false;
    void currentLink()?.command({ op: 'share.payloads' }).then((r) => {
      if (gone) return;
      if (r.ok) setHidden((r.result as { hidden: boolean }).hidden);
      else setProblem(r.error.message);
    });
    return () => { gone = true; };
  }, [live, link]);

  if (!share || hidden === null) return problem ? <span className="badge" role="status">{t('safety.payloads.failed', { detail: problem })}</span> : null;
  const flip = () => {
    void currentLink()?.command({ op: 'share.payloads', hide: !hidden }).then((r) => {
      if (r.ok) { setHidden((r.result as { hidden: boolean }).hidden); setProblem(null); } else setProblem(r.error.message);
    });
  };
  return (
    <button
      type="button"
      className="badge share-payloads"
      data-testid="share-payloads"
      data-hidden={hidden}
      aria-pressed={hidden}
      title={problem ? t('safety.payloads.failed', { detail: problem }) : t('safety.payloads.hint')}
      onClick={flip}
    >
      {t(hidden ? 'safety.payloads.hidden' : 'safety.payloads.shown')}
    </button>
  );
}
