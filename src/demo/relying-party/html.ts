import type { Language } from './messages.js';

/** Escapes text for use in HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Markup that is already escaped. Page builders accept only this type for raw HTML. */
export interface Html {
  readonly html: string;
}

export function raw(html: string): Html {
  return { html };
}

/** Tagged template that escapes every interpolated string and joins arrays of Html. */
export function html(strings: TemplateStringsArray, ...values: Array<string | number | Html | Html[]>): Html {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += renderValue(value) + (strings[index + 1] ?? '');
  });
  return raw(out);
}

function renderValue(value: string | number | Html | Html[]): string {
  if (Array.isArray(value)) return value.map((part) => part.html).join('');
  if (typeof value === 'object') return value.html;
  return escapeHtml(String(value));
}

export interface LayoutOptions {
  language: Language;
  title: string;
  /** Header title, e.g. the service name. */
  heading: string;
  /** Smaller text after the heading, e.g. "Демонстрационный сервис". */
  subheading: string;
  body: Html;
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 0; color: #1a1a1a; }
header { background: #24466b; color: #fff; padding: 0.75rem 1.5rem; }
header small { opacity: 0.8; margin-left: 0.5rem; }
main { padding: 1rem 1.5rem; max-width: 60rem; }
pre { background: #f3f3f3; padding: 0.75rem; overflow-x: auto; }
form { display: inline; }
.actions a, .actions button { margin-right: 0.75rem; }
.notice { background: #e6f4e6; padding: 0.5rem 0.75rem; }
.error { background: #fbe9e9; padding: 0.5rem 0.75rem; }
`;

export function renderLayout(options: LayoutOptions): string {
  const page = html`<!doctype html>
<html lang="${options.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title}</title>
<style>${raw(STYLE)}</style>
</head>
<body>
<header><strong>${options.heading}</strong><small>${options.subheading}</small></header>
<main>
${options.body}
</main>
</body>
</html>
`;
  return page.html;
}
