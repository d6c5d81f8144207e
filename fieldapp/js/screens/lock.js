// The lock screen's forms: a new PIN (twice, at first sign-in), the PIN that
// unlocks, and the full password when PINs are used up. Each draws into a
// container (the lock overlay or the sign-in view) and calls back.

import { said, t } from '../i18n.js';
import { esc } from '../ui.js';
import { validPin } from '../vault.js';

const digits = (name, label, auto) => `<label>${esc(label)}<input name="${name}" type="password"
  inputmode="numeric" pattern="[0-9]*" maxlength="6" autocomplete="${auto}" required></label>`;

function wire(form, submit) {
  const error = form.querySelector('.error[role=alert]');
  const button = form.querySelector('button[type=submit]');
  form.onsubmit = async (event) => {
    event.preventDefault();
    error.hidden = true;
    button.disabled = true;
    try {
      const message = await submit(form);
      if (message) { error.textContent = message; error.hidden = false; }
    } finally {
      button.disabled = false;
    }
  };
}

/** Ask for a new 6-digit PIN, twice, in container; resolves with it. */
export function askNewPin(container) {
  return new Promise((resolve) => {
    container.innerHTML = `<form class="card login" id="pin-form" autocomplete="off">
        <h2>${esc(t('pinSetTitle'))}</h2><p class="hint">${esc(t('pinSetHelp'))}</p>
        ${digits('pin', t('pin'), 'new-password')}${digits('again', t('pinAgain'), 'new-password')}
        <p class="error" role="alert" hidden></p>
        <button class="btn btn-primary btn-big" type="submit">${esc(t('pinSetSave'))}</button>
      </form>`;
    wire(container.querySelector('#pin-form'), async (form) => {
      if (!validPin(form.pin.value)) return t('pinRule');
      if (form.pin.value !== form.again.value) return t('pinMismatch');
      container.innerHTML = `<p class="card login" id="sealing">${esc(t('sealing'))}</p>`;
      resolve(form.pin.value);
      return null;
    });
  });
}

/**
 * The PIN form in container: submit(pin) resolves with a message to show
 * (a wrong PIN) or null; forgot() switches to the password.
 */
export function pinForm(container, { title = t('locked'), help = t('pinHelp'), submit, forgot }) {
  container.innerHTML = `<form class="card login" id="lock-form" autocomplete="off">
      <img src="icons/icon-192.png" alt="" width="72" height="72">
      <h2>${esc(title)}</h2><p class="hint">${esc(help)}</p>
      ${digits('pin', t('pin'), 'off')}
      <p class="error" id="lock-error" role="alert" hidden></p>
      <button class="btn btn-primary btn-big" type="submit">${esc(t('unlock'))}</button>
      ${forgot ? `<button class="btn btn-link" type="button" id="forgot-pin">${esc(t('forgotPin'))}</button>` : ''}
    </form>`;
  const form = container.querySelector('#lock-form');
  form.pin.focus();
  wire(form, async () => {
    const message = await submit(form.pin.value);
    if (message && form.isConnected) { form.pin.value = ''; form.pin.focus(); }
    return message;
  });
  if (forgot) container.querySelector('#forgot-pin').onclick = forgot;
}

/** The password form for account name in container: submit(password) resolves with a message or null. */
export function passwordForm(container, { name, reason, submit }) {
  container.innerHTML = `<form class="card login" id="relogin-form" autocomplete="on">
      <h2>${esc(t('locked'))}</h2>${reason ? `<p class="error" id="lock-reason">${esc(reason)}</p>` : ''}
      <label>${esc(t('name'))}<input name="name" autocomplete="username" readonly value="${esc(name)}"></label>
      <label>${esc(t('password'))}<input name="password" type="password" autocomplete="current-password" required></label>
      <p class="error" role="alert" hidden></p>
      <button class="btn btn-primary btn-big" type="submit">${esc(t('signIn'))}</button>
    </form>`;
  wire(container.querySelector('#relogin-form'), async (form) => {
    try {
      return await submit(form.password.value);
    } catch (err) {
      return err.status === 0 ? t('offlineLogin') : `${t('loginFailed')}${t('colon')}${said(err.message)}`;
    }
  });
}
