import attachmentStyles from '../attachments.css';
import widgetStyles from './widget.css';
import { chooseLocale } from './i18n';
import { serverUrl, widgetScript } from './serverUrl';
import { Widget } from './Widget';

/**
 * The embeddable widget: one <script src=".../widget.js"> on any page. It lives in a shadow root so the host
 * page's styles and ours never touch, and talks to the server its script came from, in the language of the
 * tag's `data-locale` or else of the browser.
 */
function mount(script: HTMLScriptElement | null): void {
  const departments = (script?.dataset.departments ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  const host = document.createElement('div');
  host.className = 'livechat-widget';
  document.body.appendChild(host);
  const shadow = host.attachShadow({ mode: 'open' });
  const style = document.createElement('style');
  style.textContent = `${widgetStyles}\n${attachmentStyles}`;
  shadow.appendChild(style);
  const locale = chooseLocale(script?.dataset.locale, navigator.languages);
  void new Widget(shadow, { server: serverUrl(script), departments, locale }).start();
}

// document.currentScript is only set while this runs, so the tag is read now; mounting waits for <body>.
const script = widgetScript();
if (document.body) mount(script);
else document.addEventListener('DOMContentLoaded', () => mount(script), { once: true });
