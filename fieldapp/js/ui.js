// Small helpers every screen uses: escaping, the title bar, dialogs, badges, dates.

import { t, v } from './i18n.js';

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** text safe to put in HTML. */
export const esc = (text) => String(text ?? '').replace(/[&<>"']/g, (c) => ESC[c]);

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/** Set the title bar; back is a hash to go back to (or null on the home screen). */
export function setTitle(title, back = null) {
  $('#title').textContent = title;
  document.title = `${title} · ${t('app')}`;
  const button = $('#back');
  button.hidden = !back;
  button.onclick = back ? () => { location.hash = back; } : null;
}

/** A colour badge with its word, never colour alone. */
export const badge = (colour) =>
  (colour ? `<span class="badge c-${esc(colour)}">${esc(v(colour))}</span>` : '');

/** A short message at the bottom of the screen. */
export function toast(text, kind = 'ok') {
  const el = document.createElement('div');
  el.className = `toast toast-${kind}`;
  el.textContent = text;
  document.body.append(el);
  setTimeout(() => el.remove(), 3500);
}

/** Ask a question; resolves true when the person confirms. */
export async function confirmDialog({ text, ok, cancel = t('cancel'), danger = false }) {
  const answer = await askDialog({
    text, answers: [['no', cancel, ''], ['yes', ok, danger ? 'btn-danger' : 'btn-primary']],
  });
  return answer === 'yes';
}

/** Ask a question with answers [[value, label, class]]; resolves the value chosen. */
export function askDialog({ text, answers }) {
  const box = $('#dialog');
  box.innerHTML = `<div class="dialog-card" role="alertdialog" aria-modal="true">
      <p>${esc(text)}</p>
      <div class="row end wrap">${answers.map(([value, label, cls]) =>
    `<button type="button" class="btn ${esc(cls || '')}" data-answer="${esc(value)}">${esc(label)}</button>`).join('')}</div>
    </div>`;
  box.hidden = false;
  return new Promise((resolve) => {
    box.onclick = (event) => {
      const answer = event.target.closest('[data-answer]')?.dataset.answer;
      if (!answer) return;
      box.hidden = true;
      box.innerHTML = '';
      resolve(answer);
    };
  });
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** The local calendar date of d as YYYY-MM-DD. */
export const dateStr = (d = new Date()) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

/** A date n days from today (local), YYYY-MM-DD. */
export function addDays(n, from = new Date()) {
  const d = new Date(from);
  d.setDate(d.getDate() + n);
  return dateStr(d);
}

/** An ISO 8601 date-time in the tablet's own offset: 2026-11-24T09:30:00.000+08:00. */
export function localIso(d = new Date()) {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return `${dateStr(d)}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.`
    + `${pad(d.getMilliseconds(), 3)}${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
}

/** Whole days from date string a (YYYY-MM-DD) to b. */
export function daysBetween(a, b) {
  const ms = (s) => Date.UTC(Number(s.slice(0, 4)), Number(s.slice(5, 7)) - 1, Number(s.slice(8, 10)));
  return Math.round((ms(b) - ms(a)) / 86400000);
}

/** The local date (YYYY-MM-DD) of an ISO date-time. */
export const localDateOf = (iso) => dateStr(new Date(iso));

/** "11-24 09:30" in local time. */
export function shortTime(iso) {
  const d = new Date(iso);
  return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A random id: crypto.randomUUID where the page is a secure context. */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Toggle-button group: name, [value, label] pairs, the selected value(s). */
export function choices(name, options, selected, { multi = false, cls = '', required = false } = {}) {
  const on = (value) => (multi ? (selected || []).includes(value) : selected === value);
  return `<div class="choices ${cls}" data-name="${esc(name)}" data-multi="${multi}"${required ? ' data-required="1"' : ''} role="group">${
    options.map(([value, label]) => `<button type="button" class="choice ${cls ? `${cls}-${esc(value)}` : ''}"
      data-value="${esc(value)}" aria-pressed="${on(value)}">${esc(label)}</button>`).join('')}</div>`;
}

/** Make every .choices group under root toggle its buttons; onChange(name) after each. */
export function wireChoices(root, onChange = () => {}) {
  root.addEventListener('click', (event) => {
    const button = event.target.closest('.choice');
    if (!button || !root.contains(button)) return;
    const group = button.closest('.choices');
    const multi = group.dataset.multi === 'true';
    const pressed = button.getAttribute('aria-pressed') === 'true';
    if (!multi) $$('.choice', group).forEach((b) => b.setAttribute('aria-pressed', 'false'));
    button.setAttribute('aria-pressed', String(!pressed || (!multi && Boolean(group.dataset.required))));
    onChange(group.dataset.name, group);
  });
}

/** The selected value(s) of a .choices group. */
export function chosen(group) {
  const values = $$('.choice[aria-pressed="true"]', group).map((b) => b.dataset.value);
  return group.dataset.multi === 'true' ? values : (values[0] ?? null);
}
