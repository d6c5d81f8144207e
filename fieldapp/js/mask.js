// Data minimisation on screen: phone and ID numbers are shown masked
// (138****5678, 1101**********1234) until a deliberate tap reveals one, and
// photos stay inside the app (no long-press "save image", no drag out, no
// download link). Masking is for the screen only: search still matches the
// full digits (a phone by any three of them, an ID number only whole, so a
// search cannot uncover masked digits), and the stored document is never
// changed.

import { t } from './i18n.js';

const shown = new Map();          // reveal key → the full value, for this page only
let next = 0;

/** A phone number masked: the first 3 and last 4 digits kept (138****5678). */
export function maskPhone(phone) {
  const digits = String(phone || '').replace(/\D/g, '');
  if (digits.length < 7) return '*'.repeat(digits.length);
  return `${digits.slice(0, 3)}${'*'.repeat(digits.length - 7)}${digits.slice(-4)}`;
}

/** An ID number masked: the first 4 and last 4 characters kept (1101**********1234). */
export function maskIdNumber(id) {
  const text = String(id || '').replace(/\s/g, '');
  if (text.length <= 8) return '*'.repeat(text.length);
  return `${text.slice(0, 4)}${'*'.repeat(text.length - 8)}${text.slice(-4)}`;
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * HTML of value masked, revealed by a tap (kind 'phone' or 'id'). A revealed
 * phone becomes a tel: link; the full value is never in the page until then.
 */
export function revealable(value, kind = 'phone') {
  const key = String(next += 1);
  shown.set(key, { value: String(value), kind });
  const masked = kind === 'id' ? maskIdNumber(value) : maskPhone(value);
  return `<button type="button" class="masked" data-${kind === 'id' ? 'idno' : 'phone'} data-reveal="${key}"
    title="${escape(t('tapToShow'))}" aria-label="${escape(t('tapToShow'))}">${escape(masked)}</button>`;
}

document.addEventListener('click', (event) => {
  const button = event.target.closest?.('[data-reveal]');
  if (!button) return;
  const found = shown.get(button.dataset.reveal);
  if (!found) return;
  event.preventDefault();
  if (found.kind === 'phone') {
    const a = document.createElement('a');
    a.className = 'phone revealed';
    a.href = `tel:${found.value.replace(/\s/g, '')}`;
    a.dataset.phone = '';
    a.textContent = found.value;
    button.replaceWith(a);
  } else {
    button.textContent = found.value;
    button.classList.add('revealed');
    button.removeAttribute('data-reveal');
  }
});

// Photos never leave the app's storage: no context menu (save / share /
// download image), no dragging one out.
const isPhoto = (el) => el?.tagName === 'IMG' && el.closest?.('#photos, #photo-preview, .photo');
document.addEventListener('contextmenu', (event) => { if (isPhoto(event.target)) event.preventDefault(); });
document.addEventListener('dragstart', (event) => { if (isPhoto(event.target)) event.preventDefault(); });
