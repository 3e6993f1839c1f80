import { useState, type FormEvent } from 'react';
import type { CommandInput } from '@socketscope/shared';
import { runCommand } from '../../app/session.ts';
import { linkConditionsText } from '../../format/describe.ts';
import { useT } from '../../i18n/useT.ts';
import { useApp } from '../../store/store.ts';
import { useAccess } from '../programs/access.ts';
import { ReplyLine } from '../Reply.tsx';
import { conditionsOf, fieldsOf, type LabFields } from './conditions.ts';
import './lab.css';

/** the reply slot of every lab command: its errors show under the panel, in the agent's words */
const TARGET = 'lab';

/**
 * The teacher's lab network (issue 18): two hosts joined by a link whose delay, jitter, loss and rate are
 * set here, and one-shot "lose the next one" buttons. Shown when the agent's hello says it can make the
 * lab (capabilities.lab); when it cannot, one line says why and what to do. Every button is a command
 * (lab.up / lab.set / lab.oneshot / lab.down) through the session's command path; the link's state comes
 * back as link.state events (the model's link), never from the replies.
 */
export function LabPanel() {
  const t = useT();
  const lab = useApp((s) => s.capabilities?.lab);
  const known = useApp((s) => s.capabilities !== null);
  if (!known) return null;
  if (!lab?.available) {
    const fix = lab?.fix?.linux ?? t('lab.unavailable.fixDefault');
    return (
      <div className="play-form lab-panel" data-testid="lab-panel" data-available="false">
        <h3>{t('lab.title')}</h3>
        <p className="lab-missing" data-testid="lab-unavailable" role="status">
          <span aria-hidden="true">⚠ </span>
          {lab ? t('lab.unavailable', { reason: lab.reason ?? '—' }) : t('lab.unavailable.unknown')}{' '}
          <span data-testid="lab-fix">{t('lab.unavailable.fix', { fix })}</span>
        </p>
      </div>
    );
  }
  return <LabControls how={lab.how} />;
}

function LabControls({ how }: { how: 'root' | 'userns' | undefined }) {
  const t = useT();
  const access = useAccess();
  const link = useApp((s) => s.model.link);
  const [fields, setFields] = useState<LabFields>(() => fieldsOf(link?.conditions));
  const disabled = access !== 'act';
  const up = link?.up ?? false;
  const send = (cmd: CommandInput) => void runCommand(TARGET, cmd);
  const field = (k: keyof LabFields) => ({
    value: fields[k],
    inputMode: 'decimal' as const,
    'data-testid': `lab-${k}`,
    onChange: (e: { target: { value: string } }) => setFields((f) => ({ ...f, [k]: e.target.value })),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    send(up ? { op: 'lab.set', conditions: conditionsOf(fields) } : { op: 'lab.up', conditions: conditionsOf(fields) });
  };
  return (
    <form className="play-form lab-panel" data-testid="lab-panel" data-available="true" data-up={up} onSubmit={submit}>
      <h3>{t('lab.title')}</h3>
      <p className="muted small">{t('lab.hint')}{how ? ` (${t(`lab.how.${how}`)})` : ''}</p>
      <p className="lab-state" data-testid="lab-state" aria-live="polite">
        {up && link ? t('lab.state.up', { conditions: linkConditionsText(link.conditions, t) }) : t('lab.state.down')}
      </p>
      <div className="row">
        <label className="grow">{t('lab.delay')}<input {...field('delay')} /></label>
        <label className="grow">{t('lab.jitter')}<input {...field('jitter')} /></label>
      </div>
      <div className="row">
        <label className="grow">{t('lab.loss')}<input {...field('loss')} /></label>
        <label className="grow">{t('lab.rate')}<input {...field('rate')} placeholder={t('lab.rate.none')} title={t('lab.rate.none')} /></label>
      </div>
      <div className="row lab-buttons">
        {up
          ? <button type="submit" className="primary" data-testid="lab-set" disabled={disabled}>{t('lab.set')}</button>
          : <button type="submit" className="primary" data-testid="lab-up" disabled={disabled}>{t('lab.up')}</button>}
        <button type="button" data-testid="lab-down" disabled={disabled || !up} onClick={() => send({ op: 'lab.down' })}>{t('lab.down')}</button>
      </div>
      <fieldset className="lab-oneshot" disabled={disabled || !up}>
        <legend>{t('lab.oneshot.title')}</legend>
        <button type="button" data-testid="lab-oneshot-client" onClick={() => send({ op: 'lab.oneshot', from: 'client', match: 'data' })}>✕ {t('lab.oneshot.c2s')}</button>
        <button type="button" data-testid="lab-oneshot-server" onClick={() => send({ op: 'lab.oneshot', from: 'server', match: 'data' })}>✕ {t('lab.oneshot.s2c')}</button>
      </fieldset>
      <ReplyLine target={TARGET} />
    </form>
  );
}
