import { useEffect, useMemo } from 'react';
import { lessonById, type Lesson, type MovedPort } from '@socketscope/shared/lessons/index';
import { parseEndpoint, type Model } from '@socketscope/shared';
import { useT } from '../../i18n/useT.ts';
import { seek, setStops } from '../../store/playback.ts';
import { latestRun, stepAt, stopsOf } from '../../store/steps.ts';
import { appStore, useApp } from '../../store/store.ts';
import { LadderPanel } from '../LadderPanel.tsx';
import { PredictPanel } from '../predict/PredictPanel.tsx';
import { CodePanel, StepExplain } from './CodePanel.tsx';
import { stopLive } from '../../app/lessonRun.ts';
import { LessonBar } from './LessonBar.tsx';
import { LowerPanel } from './LowerPanel.tsx';
import { StepList } from './StepList.tsx';
import { Transport } from './Transport.tsx';

/**
 * One lesson: run it on the agent, then step through what really happened. The steps are the
 * agent's scenario.step markers of the latest run; the views show the session at the cursor: the
 * ladder, the code with the step's lines and explanation, the socket cards and the event log.
 * Laid out for a 16:9 projector; any one view can be shown alone (⤢).
 */
export function LessonPlayer({ id }: { id: string }) {
  const lesson = lessonById(id);
  if (!lesson) return null;
  return <Player lesson={lesson} />;
}

function Player({ lesson }: { lesson: Lesson }) {
  const t = useT();
  const markers = useApp((s) => s.steps);
  // a number, not the model: the player re-renders when the port changes, not at every diff
  const boundPort = useApp((s) => serverPort(s.model));
  const cursor = useApp((s) => s.cursor);
  const head = useApp((s) => s.headSeq);
  const maximized = useApp((s) => s.maximized);
  // large type leaves room for fewer views: the code becomes a tab beside the cards and the log
  const compact = useApp((s) => s.projector);
  const running = useApp((s) => s.lessonRun?.lesson === lesson.id && (s.lessonRun.status === 'running' || s.lessonRun.status === 'resetting'));
  const askedPort = useApp((s) => (s.lessonRun?.lesson === lesson.id ? s.lessonRun.port : undefined));
  // a live run that waits for the teacher: Next at the newest step runs the next one (lessonRun.ts)
  const live = useApp((s) => s.lessonRun?.lesson === lesson.id && s.lessonRun.live === true && s.lessonRun.ready === true && s.lessonRun.status === 'running');
  const stepping = useApp((s) => s.lessonRun?.lesson === lesson.id && s.lessonRun.stepping === true);

  // leaving the lesson ends its live run: its programs would otherwise wait for a → that never comes
  useEffect(() => () => {
    const r = appStore().getState().lessonRun;
    if (r?.lesson === lesson.id && r.live && r.status === 'running') void stopLive(appStore());
  }, [lesson.id]);

  const run = useMemo(() => latestRun(markers, lesson.id), [markers, lesson.id]);
  const stops = useMemo(() => (run ? stopsOf(run) : null), [run]);

  useEffect(() => {
    setStops(stops);
    return () => setStops(null);
  }, [stops]);

  // a run found in a loaded file or a resynced session: start before its first step
  const runStart = run?.start;
  useEffect(() => {
    const s = appStore().getState();
    if (runStart !== undefined && stops && !running && s.cursor === null) seek(appStore(), stops[0]!);
  }, [runStart]); // eslint-disable-line react-hooks/exhaustive-deps

  const at = cursor ?? head;
  const stepIndex = run ? stepAt(run, at) : -1;
  const runStep = run && stepIndex >= 0 ? run.steps[stepIndex]! : null;
  const step = runStep ? lesson.steps.find((s) => s.id === runStep.id) ?? null : null;
  const moved = useMemo(() => movedPort(lesson, boundPort, askedPort), [lesson, boundPort, askedPort]);

  const code = <CodePanel lesson={lesson} embedded={compact} {...(moved ? { moved } : {})} />;
  const inLower = (p: string | null) => p === 'cards' || p === 'log' || (compact && p === 'code');
  const show = (panel: 'code' | 'ladder' | 'lower' | 'explain') =>
    maximized === null ? !(compact && panel === 'code') : panel === maximized || (panel === 'lower' && inLower(maximized));
  return (
    <main className={`lesson${maximized ? ' one-view' : ''}`} data-testid="lesson-player" data-lesson={lesson.id}
      data-step={runStep?.id ?? ''} data-step-index={stepIndex} data-run={run ? (run.complete ? 'complete' : run.failed ? 'failed' : 'partial') : 'none'}
      data-live={live ? (stepping ? 'stepping' : cursor === null ? 'edge' : 'behind') : undefined}>
      <LessonBar lesson={lesson} hasRun={run !== null} />
      <Transport live={live} edgeNext={live && !stepping} {...(stops ? { ticks: stops.slice(1) } : {})}>
        {run ? (
          <>
            <span className="step-now" data-testid="step-now">
              {stepIndex < 0 ? t('player.beforeStart') : t('player.step', { n: stepIndex + 1, total: lesson.steps.length })}
              {runStep ? <> · <code>{runStep.id}</code> · {t(`player.role.${runStep.role ?? 'both'}`)}{runStep.status === 'failed' ? <strong className="err"> {t('player.stepFailed')}</strong> : runStep.end === null ? ` ${t('player.stepRunning')}` : ''}</> : null}
            </span>
            <StepList run={run} current={stepIndex} />
          </>
        ) : null}
      </Transport>
      <div className={`lesson-grid${compact ? ' compact' : ''}`}>
        {show('code') ? code : null}
        {show('explain') ? <StepExplain lesson={lesson} step={step} /> : null}
        {show('ladder') ? <LadderPanel /> : null}
        {show('lower') ? <LowerPanel since={runStep?.start} {...(compact ? { code } : {})} /> : null}
      </div>
      {/* "Ask first": the class predicts before a step is shown (floats above the views) */}
      <PredictPanel lesson={lesson} />
    </main>
  );
}

/** The port the session's first server bound (a listener, or a bound UDP socket), if any. */
function serverPort(model: Model): number | undefined {
  for (const id of model.socketOrder) {
    const sock = model.sockets[id];
    if (!sock?.local || (sock.role !== 'listener' && sock.proto !== 'udp')) continue;
    const port = parseEndpoint(sock.local)?.port;
    if (port === undefined || port === 0) continue;
    return port;
  }
  return undefined;
}

/** A run on another port than the tutorial's shows that port in the listings (the port its server bound). */
function movedPort(lesson: Lesson, bound: number | undefined, asked: number | undefined): MovedPort | undefined {
  const from = lesson.ports[0];
  if (from === undefined) return undefined;
  if (asked !== undefined && asked !== from) return { from, to: asked };
  if (bound === undefined) return undefined;
  return bound === from || lesson.ports.includes(bound) ? undefined : { from, to: bound };
}
