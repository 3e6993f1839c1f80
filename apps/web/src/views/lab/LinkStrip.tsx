import { linkConditionsText } from '../../format/describe.ts';
import { useT } from '../../i18n/useT.ts';
import { useApp } from '../../store/store.ts';
import './lab.css';

/**
 * The lab link where the socket cards are (model.link, fold rule F25): up or down, its conditions in
 * words, its hosts, and what it dropped by reason. Nothing at all on loopback (no link.state came).
 */
export function LinkStrip() {
  const t = useT();
  const link = useApp((s) => s.model.link);
  if (!link) return null;
  const { loss, oneshot, queue } = link.drops;
  const total = loss + oneshot + queue;
  return (
    <div className={`lab-strip${link.up ? ' up' : ' down'}`} data-testid="lab-strip" data-up={link.up} role="status">
      <strong>{t('lab.strip.title')}</strong>{' '}
      <span className="lab-strip-state">{link.up ? `● ${t('lab.strip.up')}` : `○ ${t('lab.strip.down')}`}</span>
      {link.up ? <span data-testid="lab-strip-conditions"> · {linkConditionsText(link.conditions, t)}</span> : null}
      {link.hosts ? <span className="muted"> · {t('lab.strip.hosts', { client: link.hosts.client, server: link.hosts.server })}</span> : null}
      <span data-testid="lab-strip-drops" className={total > 0 ? 'lab-strip-drops lost' : 'lab-strip-drops'}>
        {' · '}{total > 0 ? <><span aria-hidden="true">✕ </span>{t('lab.strip.drops', { total, loss, oneshot, queue })}</> : t('lab.strip.noDrops')}
      </span>
    </div>
  );
}
