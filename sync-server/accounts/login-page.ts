/**
 * Server-rendered dashboard pages. Every string from devices, gates or users passes through the
 * `html` template's escaping; every word shown comes from the catalogues; the client scripts get
 * the messages they need as a JSON data block (not executed, so the CSP needs no inline script).
 */
import { html } from '../web/escape.js';
import { browserUrl } from '../dashboard/browser-files.js';
import { page } from '../dashboard/layout.js';
import { type DashboardLanguage } from '../dashboard/language.js';
import { type AccountsKey, accountsTexts } from './texts.js';

/** The sign-in page. */
export function renderLogin(lang: DashboardLanguage): string {
  const t = (k: AccountsKey) => accountsTexts.text(lang, k);
  return page(
    {
      lang,
      title: t('login.title'),
      script: browserUrl('accounts', 'login-page.js'),
      messages: { 'login.failed': t('login.failed'), 'login.rateLimited': t('login.rateLimited') },
      path: '/dashboard/login',
    },
    html`<main>
      <form id="login" class="login" autocomplete="on">
        <h2>${t('login.title')}</h2>
        <label for="username">${t('login.username')}</label
        ><input id="username" name="username" autocomplete="username" required />
        <label for="password">${t('login.password')}</label
        ><input id="password" name="password" type="password" autocomplete="current-password" required />
        <p id="login-error" class="error" role="alert"></p>
        <button type="submit">${t('login.submit')}</button>
      </form>
    </main>`,
  );
}
