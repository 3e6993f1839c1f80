import { useEffect, useRef, useState } from 'react';
import { exportWirePcap, openFile, saveRecording } from '../app/files.ts';
import { useT } from '../i18n/useT.ts';
import { appStore, useApp } from '../store/store.ts';

/** Open a recording (.jsonl) or a capture (.pcap/.pcapng): a button with a file picker. */
export function OpenButton({ primary = false }: { primary?: boolean }) {
  const t = useT();
  const input = useRef<HTMLInputElement | null>(null);
  return (
    <>
      <button type="button" className={primary ? 'primary' : ''} data-testid="open-recording" onClick={() => input.current?.click()}>
        {t('open.button')}
      </button>
      <input ref={input} type="file" hidden data-testid="open-file" accept=".jsonl,.ndjson,.json,.pcap,.pcapng,.cap,application/vnd.tcpdump.pcap"
        onChange={(e) => {
          const f = e.target.files?.[0];
          e.target.value = '';
          if (f) void openFile(appStore(), f);
        }} />
    </>
  );
}

/** Save the session (every event, as the agent sent it) to a file that opens without the agent. */
export function SaveButton() {
  const t = useT();
  const empty = useApp((s) => s.headSeq < 0);
  return (
    <button type="button" data-testid="save-recording" disabled={empty} title={t('save.hint')} onClick={() => void saveRecording(appStore())}>
      <span aria-hidden="true">⤓ </span>{t('save.button')}
    </button>
  );
}

/** Export the captured packets as .pcap for Wireshark; says how many went in and how many inferred stayed out. */
export function ExportPcapButton() {
  const t = useT();
  const empty = useApp((s) => s.headSeq < 0);
  const [done, setDone] = useState<{ packets: number; inferred: number; unexpanded: number } | null>(null);
  return (
    <>
      <button type="button" data-testid="export-pcap" disabled={empty} title={t('pcap.hint')} onClick={() => void exportWirePcap().then(setDone)}>
        <span aria-hidden="true">⤓ </span>{t('pcap.button')}
      </button>
      {done && (
        <span role="status" data-testid="export-pcap-result" className="muted">
          {t(done.packets > 0 ? 'pcap.done' : 'pcap.none', { packets: done.packets, inferred: done.inferred })}
          {done.unexpanded > 0 ? ` ${t('pcap.unexpanded', { count: done.unexpanded })}` : null}
        </span>
      )}
    </>
  );
}

/** Dropping a file anywhere on the page opens it; while one is dragged over, the page says so. */
export function DropZone() {
  const t = useT();
  const [over, setOver] = useState(false);
  useEffect(() => {
    let depth = 0;
    const hasFiles = (e: DragEvent) => [...(e.dataTransfer?.types ?? [])].includes('Files');
    const enter = (e: DragEvent) => { if (!hasFiles(e)) return; depth++; setOver(true); e.preventDefault(); };
    const leave = () => { depth = Math.max(0, depth - 1); if (depth === 0) setOver(false); };
    const overFn = (e: DragEvent) => { if (hasFiles(e)) e.preventDefault(); };
    const drop = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      setOver(false);
      const f = e.dataTransfer?.files[0];
      if (f) void openFile(appStore(), f);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('dragover', overFn);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('dragover', overFn);
      window.removeEventListener('drop', drop);
    };
  }, []);
  if (!over) return null;
  return <div className="drop-overlay" data-testid="drop-overlay"><p><span aria-hidden="true">⬇ </span>{t('open.dropHere')}</p></div>;
}

/** Why the last file could not be opened (nothing was changed), or that one is being read. */
export function FileProblem() {
  const t = useT();
  const problem = useApp((s) => s.loadProblem);
  const loading = useApp((s) => s.loading);
  if (loading) return <div className="banner banner-info" data-testid="loading-file" role="status">{t('open.loading', { file: loading })}</div>;
  if (!problem) return null;
  return (
    <div className="banner banner-stop" role="alert" data-testid="load-problem" data-key={problem.key}>
      <div className="banner-text">
        <strong><span aria-hidden="true">✕ </span>{t('load.failed', { file: problem.file })}</strong>{' '}
        {t(problem.key, problem.params)}
      </div>
      <button type="button" onClick={() => appStore().setState({ loadProblem: null })}>{t('load.dismiss')}</button>
    </div>
  );
}
