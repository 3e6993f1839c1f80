import { Component, useMemo, type ErrorInfo, type ReactNode } from 'react';
import { useT } from '../i18n/useT.ts';
import { useApp } from '../store/store.ts';

/**
 * No view's exception takes the page down (issue 16, item 4). React unmounts the whole tree when a render
 * throws and nothing catches it: one bad socket card left an empty page without a word. Each view sits in
 * a ViewBoundary: if it throws, its place shows a short message (translated) with the error, a button
 * to try again, and the other views, the header and the file controls go on. A new session or file
 * (the store's `source`, or the session id) clears the error by itself. The error goes to the console
 * with the component stack, for whoever looks.
 */
interface BoundaryProps {
  /** which view, for the test id and the console */
  view: string;
  resetKey: unknown;
  children: ReactNode;
}

class Boundary extends Component<BoundaryProps, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: unknown): { error: Error } {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error(`SocketScope: the ${this.props.view} view failed and was left out`, error, info.componentStack);
  }

  override componentDidUpdate(prev: BoundaryProps): void {
    if (this.state.error && prev.resetKey !== this.props.resetKey) this.setState({ error: null });
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return <ViewFailed view={this.props.view} error={error} onRetry={() => this.setState({ error: null })} />;
  }
}

function ViewFailed({ view, error, onRetry }: { view: string; error: Error; onRetry: () => void }) {
  const t = useT();
  return (
    <section className="panel view-failed" role="alert" data-testid={`view-failed-${view}`}>
      <p>{t('safety.viewFailed')}</p>
      <p className="muted small"><code>{t('safety.viewFailedDetail', { detail: error.message.slice(0, 300) })}</code></p>
      <button type="button" onClick={onRetry}>{t('safety.viewRetry')}</button>
    </section>
  );
}

/** Wraps one view (see the file's header). */
export function ViewBoundary({ view, children }: { view: string; children: ReactNode }) {
  const source = useApp((s) => s.source);
  const session = useApp((s) => s.session?.id);
  // a new object whenever another session or file is shown: the boundary tries the view again
  const resetKey = useMemo(() => ({ source, session }), [source, session]);
  return <Boundary view={view} resetKey={resetKey}>{children}</Boundary>;
}
