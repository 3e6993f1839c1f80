import { useState, type FormEvent } from 'react';
import { runCommand } from '../app/session.ts';
import { useT } from '../i18n/useT.ts';
import { useApp } from '../store/store.ts';
import { ReplyLine } from './Reply.tsx';
import { ProgramsPanel } from './programs/ProgramsPanel.tsx';
import { LabPanel } from './lab/LabPanel.tsx';

/** Python programs to run traced, and forms that create sockets by hand. Calls on an existing socket live on its card. */
export function Playground() {
  const t = useT();
  return (
    <section className="panel playground" data-testid="playground" aria-labelledby="play-title">
      <h2 id="play-title">{t('play.title')}</h2>
      <p className="muted small">{t('play.hint')}</p>
      <ProgramsPanel />
      <LabPanel />
      <ListenForm />
      <ConnectForm />
      <UdpBindForm />
      <WatchForm />
      <CaptureSwitch />
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

/**
 * Follow the sockets of programs the agent did not start (the students' own scripts) on a port:
 * their kernel states and queues, and their packets where capture runs.
 */
function WatchForm() {
  const t = useT();
  const disabled = useDisabled();
  const [port, setPort] = useState('8888');
  const [watching, setWatching] = useState<number[]>([]);
  const send = async (op: 'watch.add' | 'watch.remove', p: number) => {
    const r = await runCommand('watch', { op, port: p });
    const list = r.ok ? (r.result as { watching?: unknown } | undefined)?.watching : undefined;
    if (Array.isArray(list)) setWatching(list.filter((x): x is number => typeof x === 'number'));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void send('watch.add', portValue(port));
  };
  return (
    <form className="play-form" data-testid="form-watch" onSubmit={submit}>
      <h3>{t('play.watch.title')}</h3>
      <p className="muted small">{t('play.watch.hint')}</p>
      <div className="row">
        <label className="port">{t('play.port')}<input data-testid="watch-port" inputMode="numeric" value={port} onChange={(e) => setPort(e.target.value)} /></label>
        <button type="submit" className="primary" data-testid="watch-submit" disabled={disabled}>{t('play.watch.submit')}</button>
      </div>
      {watching.length > 0 && (
        <ul className="watching" data-testid="watching">
          {watching.map((p) => (
            <li key={p}>{t('play.watch.port', { port: p })}{' '}
              <button type="button" disabled={disabled} onClick={() => void send('watch.remove', p)}>{t('play.watch.stop')}</button>
            </li>
          ))}
        </ul>
      )}
      <ReplyLine target="watch" />
    </form>
  );
}

/** Packet capture on (auto: where it can run) or off (the wire layer is then inferred and marked so). */
function CaptureSwitch() {
  const t = useT();
  const disabled = useDisabled();
  const available = useApp((s) => s.capabilities?.wire.available ?? false);
  const running = useApp((s) => s.model.sources.wire?.running ?? false);
  const [mode, setMode] = useState<'auto' | 'off'>('auto');
  const change = (next: 'auto' | 'off') => {
    setMode(next);
    void runCommand('capture', { op: 'capture.set', mode: next });
  };
  return (
    <div className="play-form" data-testid="capture-switch" data-running={running}>
      <h3>{t('play.capture.title')}</h3>
      <label className="check">
        <input type="checkbox" data-testid="capture-toggle" checked={mode === 'auto'} disabled={disabled || !available} onChange={(e) => change(e.target.checked ? 'auto' : 'off')} />
        {' '}{t('play.capture.auto')}
      </label>
      <p className="muted small" data-testid="capture-state">
        {t(!available ? 'play.capture.unavailable' : running ? 'play.capture.running' : 'play.capture.off')}
      </p>
      <ReplyLine target="capture" />
    </div>
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
