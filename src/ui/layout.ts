import type { Locale } from '../i18n/locales.js';
import type { Translate } from '../i18n/translate.js';
import { html, type SafeHtml } from './html.js';

export interface PageContext {
  locale: Locale;
  t: Translate;
  /** Shown as a banner when demo data is loaded. */
  demo: boolean;
  /** This response's Content-Security-Policy nonce, put on our script and stylesheet tags. */
  nonce: string;
}

/** Render the page shell: language, viewport for phones, our stylesheet and script. */
export function layout(page: PageContext, title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="${page.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title === page.t('app.name') ? title : `${title} — ${page.t('app.name')}`}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/propusk.css" nonce="${page.nonce}">
<script src="/assets/propusk.js" nonce="${page.nonce}" defer></script>
</head>
<body>
<header class="site-header"><a class="brand" href="/">${page.t('app.name')}</a><span class="tagline">${page.t('app.tagline')}</span></header>
${page.demo ? html`<p class="demo-banner">${page.t('app.demo_notice')}</p>` : ''}
<main id="main" class="card">
${body}
</main>
</body>
</html>
`.value;
}
