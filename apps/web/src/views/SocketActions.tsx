import { useState, type FormEvent } from 'react';
import type { SocketModel, TextEncodingName } from '@socketscope/shared';
import { runCommand } from '../app/session.ts';
import { useT } from '../i18n/useT.ts';
import { useApp } from '../store/store.ts';

/** The calls that apply to this socket, and nothing else: a listener accepts, a connection sends and receives. */
export function SocketActions({ sock, encoding, onEncoding }: { sock: SocketModel; encoding: TextEncodingName; onEncoding: (e: TextEncodingName) => void }) {
  const t = useT();
  const disabled = useApp((s) => s.conn.status !== 'live' || (s.session?.readOnly ?? false));
  if (!sock.owned) return null; // a watched program's socket: we can only look
  const id = sock.id;
  const call = (cmd: Parameters<typeof runCommand>[1]) => void runCommand(id, cmd);

  if (sock.proto === 'udp') {
    return (
      <div className="actions" data-testid="sock-actions">
        <UdpSend id={id} encoding={encoding} onEncoding={onEncoding} disabled={disabled} />
        <div className="action-row">
          <RecvForm id={id} op="udp.recvfrom" label={t('act.recvfrom')} disabled={disabled} />
          <div className="btns">
            <button type="button" data-testid="act-close" disabled={disabled} onClick={() => call({ op: 'udp.close', sock: id })}>{t('act.close')}</button>
          </div>
        </div>
      </div>
    );
  }
  if (sock.role === 'listener') {
    return (
      <div className="actions" data-testid="sock-actions">
        <div className="btns">
          <button type="button" className="primary" data-testid="act-accept" disabled={disabled} onClick={() => call({ op: 'tcp.accept', sock: id })}>{t('act.accept')}</button>
          <button type="button" data-testid="act-close" disabled={disabled} onClick={() => call({ op: 'tcp.close', sock: id })}>{t('act.close')}</button>
        </div>
      </div>
    );
  }
  return (
    <div className="actions" data-testid="sock-actions">
      <TcpSend id={id} encoding={encoding} onEncoding={onEncoding} disabled={disabled || sock.apiState === 'write-shut'} />
      <div className="action-row">
      <RecvForm id={id} op="tcp.recv" label={t('act.recv')} disabled={disabled} />
      <div className="btns">
        <button type="button" data-testid="act-shutdown" disabled={disabled || sock.apiState === 'write-shut'} onClick={() => call({ op: 'tcp.shutdown', sock: id })}>{t('act.shutdown')}</button>
        <button type="button" data-testid="act-close" disabled={disabled} onClick={() => call({ op: 'tcp.close', sock: id })}>{t('act.close')}</button>
        <button type="button" className="danger" data-testid="act-abort" disabled={disabled} onClick={() => call({ op: 'tcp.abort', sock: id })}>{t('act.abort')}</button>
      </div>
      </div>
    </div>
  );
}

function EncodingSelect({ encoding, onEncoding }: { encoding: TextEncodingName; onEncoding: (e: TextEncodingName) => void }) {
  const t = useT();
  return (
    <label className="enc">
      <span className="sr-only">{t('act.encoding')}</span>
      <select data-testid="send-encoding" value={encoding} onChange={(e) => onEncoding(e.target.value as TextEncodingName)} title={t('act.encoding')}>
        <option value="utf8">utf-8</option>
        <option value="gbk">gbk</option>
      </select>
    </label>
  );
}

function TcpSend({ id, encoding, onEncoding, disabled }: { id: string; encoding: TextEncodingName; onEncoding: (e: TextEncodingName) => void; disabled: boolean }) {
  const t = useT();
  const [text, setText] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void runCommand(id, { op: 'tcp.send', sock: id, data: { text, encoding } });
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <input data-testid="send-text" aria-label={t('act.text')} placeholder={t('act.text')} value={text} onChange={(e) => setText(e.target.value)} />
      <EncodingSelect encoding={encoding} onEncoding={onEncoding} />
      <button type="submit" className="primary" data-testid="act-send" disabled={disabled}>{t('act.send')}</button>
    </form>
  );
}

function UdpSend({ id, encoding, onEncoding, disabled }: { id: string; encoding: TextEncodingName; onEncoding: (e: TextEncodingName) => void; disabled: boolean }) {
  const t = useT();
  const [text, setText] = useState('');
  const [host, setHost] = useState('127.0.0.1');
  const [port, setPort] = useState('9998');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const p = Number(port);
    void runCommand(id, { op: 'udp.sendto', sock: id, host, port: Number.isInteger(p) ? p : -1, data: { text, encoding } });
  };
  return (
    <form className="inline-form wrap" onSubmit={submit}>
      <input data-testid="send-text" aria-label={t('act.text')} placeholder={t('act.text')} value={text} onChange={(e) => setText(e.target.value)} />
      <EncodingSelect encoding={encoding} onEncoding={onEncoding} />
      <span className="to">{t('act.to')}</span>
      <input className="host" data-testid="sendto-host" aria-label={t('play.host')} value={host} onChange={(e) => setHost(e.target.value)} />
      <input className="port" data-testid="sendto-port" aria-label={t('play.port')} inputMode="numeric" value={port} onChange={(e) => setPort(e.target.value)} />
      <button type="submit" className="primary" data-testid="act-sendto" disabled={disabled}>{t('act.sendto')}</button>
    </form>
  );
}

function RecvForm({ id, op, label, disabled }: { id: string; op: 'tcp.recv' | 'udp.recvfrom'; label: string; disabled: boolean }) {
  const t = useT();
  const [max, setMax] = useState('1024');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const n = Number(max);
    void runCommand(id, { op, sock: id, max: Number.isInteger(n) ? n : -1 });
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <label className="max">{t('act.max')}<input data-testid="recv-max" inputMode="numeric" value={max} onChange={(e) => setMax(e.target.value)} /></label>
      <button type="submit" className="primary" data-testid={op === 'tcp.recv' ? 'act-recv' : 'act-recvfrom'} disabled={disabled}>{label}</button>
    </form>
  );
}
