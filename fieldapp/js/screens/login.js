// Sign in once, online; the device token is kept for offline days, and the
// data key is opened (or made, with a new PIN) with the password (lock.js).

import { login as signIn, session } from '../api.js';
import { said, t } from '../i18n.js';
import { $, esc, setTitle } from '../ui.js';
import { begin } from '../start.js';
import { keyAfterSignIn } from '../lock.js';

/** The sign-in form. */
export async function login(view, params = {}) {
  const again = session();               // a revoked token: sign in again, keeping the data
  if (again && !params.again) { location.hash = '#/'; return null; }
  setTitle(t('login'), again ? '#/' : null);
  const notice = params.seal ? 'sealAgain' : sessionStorage.getItem('gv.notice');
  sessionStorage.removeItem('gv.notice');
  view.innerHTML = `<form class="card login" id="login-form" autocomplete="on">
      <img src="icons/icon-192.png" alt="" width="96" height="96">
      <h2>${esc(t('app'))}</h2>
      <label>${esc(t('name'))}<input name="name" autocomplete="username" autocapitalize="none" required value="${esc(again?.user?.name || '')}"${again ? ' readonly' : ''}></label>
      <label>${esc(t('password'))}<input name="password" type="password" autocomplete="current-password" required></label>
      ${notice ? `<p class="error" id="login-notice">${esc(t(notice))}</p>` : ''}
      <p class="error" id="login-error" role="alert" hidden></p>
      <button class="btn btn-primary btn-big" type="submit">${esc(t('signIn'))}</button>
      <p class="hint">${esc(t('loginHint'))}</p>
    </form>`;
  const form = $('#login-form');
  form.onsubmit = async (event) => {
    event.preventDefault();
    const error = $('#login-error');
    error.hidden = true;
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      const s = await signIn(form.name.value.trim(), form.password.value);
      const key = await keyAfterSignIn(view, s.user.name, form.password.value);
      document.body.classList.remove('signed-out');
      await begin(key);
      location.hash = '#/';
    } catch (err) {
      if (!error.isConnected) { login(view, params); return; }     // the PIN step failed: start again
      error.textContent = err.status === 0 ? t('offlineLogin') : `${t('loginFailed')}${t('colon')}${said(err.message)}`;
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  };
  return null;
}
