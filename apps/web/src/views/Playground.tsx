import { useState, type FormEvent } from 'react';
import { runCommand } from '../app/session.ts';
import { useT } from '../i18n/useT.ts';
import { useApp } from '../store/store.ts';
import { ReplyLine } from './Reply.tsx';

/** Forms that create sockets by hand. Calls on an existing socket live on its card. */
export function Playground() {
  const t = useT();
  return (
    <section className="panel playground" data-testid="playground" aria-labelledby="play-title">
      <h2 id="play-title">{t('play.title')}</h2>
      <p className="muted small">{t('play.hint')}</p>
      <ListenForm />
      <ConnectForm />
      <UdpBindForm />
      <ResetSession />
    </section>
  );
}

function useDisabled(): boolean {
  return useApp((s) => s.conn.status !== 'live' || (s.session?.readOnly ?? false));
}

function portValue(v: string): number {
  const n = Number(v);
  return Number.isInteger(n) ? n : -1;
}

function ListenForm() {
  const t = useT();
  const disabled = useDisabled();
  const [host, setHost] = useState('127.0.0.1');
  const [port, setPort] = useState('8888');
  const [backlog, setBacklog] = useState('5');
  const [reuseAddr, setReuseAddr] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void runCommand('listen', { op: 'tcp.listen', host, port: portValue(port), backlog: Number(backlog), reuseAddr });
  };
  return (
    <form className="play-form" data-testid="form-listen" onSubmit={submit}>
      <h3>{t('play.listen.title')}</h3>
      <div className="row">
        <label className="grow">{t('play.host')}<input data-testid="listen-host" value={host} onChange={(e) => setHost(e.target.value)} /></label>
        <label className="port">{t('play.port')}<input data-testid="listen-port" inputMode="numeric" value={port} onChange={(e) => setPort(e.target.value)} title={t('play.portAny')} /></label>
      </div>
      <div className="row">
        <label className="grow">{t('play.backlog')}<input data-testid="listen-backlog" inputMode="numeric" value={backlog} onChange={(e) => setBacklog(e.target.value)} /></label>
      </div>
      <label className="check"><input type="checkbox" data-testid="listen-reuse" checked={reuseAddr} onChange={(e) => setReuseAddr(e.target.checked)} /> {t('play.reuseAddr')}</label>
      <button type="submit" className="primary" data-testid="listen-submit" disabled={disabled}>{t('play.listen.submit')}</button>
      <ReplyLine target="listen" />
    </form>
  );
}

function ConnectForm() {
  const t = useT();
  const disabled = useDisabled();
  const [host, setHost] = useState('127.0.0.1');
  const [port, setPort] = useState('8888');
  const [localPort, setLocalPort] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const lp = localPort.trim() === '' ? undefined : portValue(localPort);
    void runCommand('connect', { op: 'tcp.connect', host, port: portValue(port), ...(lp !== undefined ? { localPort: lp } : {}) });
  };
  return (
    <form className="play-form" data-testid="form-connect" onSubmit={submit}>
      <h3>{t('play.connect.title')}</h3>
      <div className="row">
        <label className="grow">{t('play.host')}<input data-testid="connect-host" value={host} onChange={(e) => setHost(e.target.value)} /></label>
        <label className="port">{t('play.port')}<input data-testid="connect-port" inputMode="numeric" value={port} onChange={(e) => setPort(e.target.value)} /></label>
      </div>
      <label>{t('play.localPort')}<input data-testid="connect-local-port" inputMode="numeric" value={localPort} onChange={(e) => setLocalPort(e.target.value)} /></label>
      <button type="submit" className="primary" data-testid="connect-submit" disabled={disabled}>{t('play.connect.submit')}</button>
      <ReplyLine target="connect" />
    </form>
  );
}

function UdpBindForm() {
  const t = useT();
  const disabled = useDisabled();
  const [host, setHost] = useState('127.0.0.1');
  const [port, setPort] = useState('9998');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void runCommand('udp.bind', { op: 'udp.bind', host, port: portValue(port) });
  };
  return (
    <form className="play-form" data-testid="form-udp-bind" onSubmit={submit}>
      <h3>{t('play.udp.title')}</h3>
      <div className="row">
        <label className="grow">{t('play.host')}<input data-testid="udp-host" value={host} onChange={(e) => setHost(e.target.value)} /></label>
        <label className="port">{t('play.port')}<input data-testid="udp-port" inputMode="numeric" value={port} onChange={(e) => setPort(e.target.value)} title={t('play.portAny')} /></label>
      </div>
      <button type="submit" className="primary" data-testid="udp-bind-submit" disabled={disabled}>{t('play.udp.submit')}</button>
      <ReplyLine target="udp.bind" />
    </form>
  );
}

/** Two steps, so a stray click in front of a class does not throw the session away. */
function ResetSession() {
  const t = useT();
  const disabled = useDisabled();
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <div className="play-form reset">
        <button type="button" data-testid="reset-session" disabled={disabled} onClick={() => setAsking(true)}>{t('play.reset')}</button>
        <ReplyLine target="session.reset" />
      </div>
    );
  }
  return (
    <div className="play-form reset" role="group" aria-label={t('play.reset')}>
      <p>{t('play.resetConfirm')}</p>
      <div className="btns">
        <button type="button" className="danger" data-testid="reset-confirm" onClick={() => { setAsking(false); void runCommand('session.reset', { op: 'session.reset' }); }}>{t('play.resetYes')}</button>
        <button type="button" onClick={() => setAsking(false)}>{t('play.resetNo')}</button>
      </div>
    </div>
  );
}
