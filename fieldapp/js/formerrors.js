// Validation errors shown where they belong: each next to the field whose
// data-path is the error's field path (or its nearest parent), and all of
// them in a summary at the top of the form, in the current language.

import { msg, t } from './i18n.js';
import { $, $$, esc } from './ui.js';

// "checks[0].temperature" → itself, "checks[0]", "checks".
function candidates(path) {
  const out = [path];
  let p = path;
  while (/[.[]/.test(p)) {
    p = p.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
    out.push(p);
  }
  return out;
}

/** Clear earlier errors in form. */
export function clearErrors(form) {
  $$('.field-error', form).forEach((el) => el.remove());
  $$('.invalid', form).forEach((el) => el.classList.remove('invalid'));
  const box = $('#errors', form);
  if (box) { box.hidden = true; box.innerHTML = ''; }
}

/**
 * Check one field as the worker leaves it: clear what was said under anchor
 * (the element whose data-path is path) and say errors [{field, zh, en}] of
 * that path there, without the summary.
 */
export function showFieldErrors(anchor, path, errors) {
  $$('.field-error', anchor).forEach((el) => el.remove());
  anchor.classList.remove('invalid');
  const mine = errors.filter((e) => e.field === path);
  if (!mine.length) return;
  anchor.classList.add('invalid');
  anchor.insertAdjacentHTML('beforeend', mine.map((e) => `<p class="field-error" role="alert">${esc(msg(e))}</p>`).join(''));
}

/** Show errors [{field, zh, en}] in form; scrolls to the summary. */
export function showErrors(form, errors) {
  clearErrors(form);
  if (!errors.length) return;
  for (const error of errors) {
    const anchor = candidates(error.field).map((p) => form.querySelector(`[data-path="${CSS.escape(p)}"]`)).find(Boolean);
    if (!anchor) continue;
    anchor.classList.add('invalid');
    anchor.insertAdjacentHTML('beforeend', `<p class="field-error" role="alert">${esc(msg(error))}</p>`);
  }
  const box = $('#errors', form);
  box.innerHTML = `<strong>${esc(t('fixErrors'))}</strong><ul>${errors.map((e) => `<li>${esc(msg(e))}</li>`).join('')}</ul>`;
  box.hidden = false;
  box.scrollIntoView({ block: 'start' });
}
