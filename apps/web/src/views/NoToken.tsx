import { useT } from '../i18n/useT.ts';

/** The commands are code, the same in every language, so they stay here rather than in the locale files. */
const START_COMMAND = 'pnpm start';
const START_COMMAND_DIRECT = 'node_modules/.bin/tsx apps/agent/src/cli.ts start';
const EXAMPLE_LINE = 'SocketScope: http://127.0.0.1:8787/?token=…';

export function NoToken() {
  const t = useT();
  return (
    <section className="no-token" data-testid="no-token">
      <h2>{t('notoken.title')}</h2>
      <p>{t('notoken.why')}</p>
      <ol>
        <li>
          {t('notoken.step1')}
          <pre><code>{START_COMMAND}</code></pre>
          <pre><code>{START_COMMAND_DIRECT}</code></pre>
        </li>
        <li>
          {t('notoken.step2')}
          <pre><code>{EXAMPLE_LINE}</code></pre>
        </li>
        <li>{t('notoken.step3')}</li>
      </ol>
    </section>
  );
}
