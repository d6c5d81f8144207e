// The sync status bar, always in view: online or offline, the last sync the
// server confirmed, local changes not yet on the server, errors, refusals.
// It says "all uploaded" only when nothing is pending or refused and the
// last round ended without error.

import { said, t } from './i18n.js';
import { onSync, syncNow, syncState } from './sync.js';
import { esc, shortTime } from './ui.js';

const clock = (ms) => (ms ? shortTime(new Date(ms).toISOString()).slice(6) : '–');

function errorText(s) {
  if (s.error === 'unauthorized') return t('authError');
  if (s.error === 'network') return null;            // shown as "offline"
  const when = t('syncTimes', { last: clock(s.lastAttempt), next: clock(s.nextAttempt) });
  const what = s.error === 'server' || s.error === 'unreachable' ? t(`sync_${s.error}`) : said(s.error);
  return t('syncRetryingWith', { what, when });
}

function html(s) {
  const offline = !s.online || s.error === 'network';
  const parts = [];
  const cls = s.auth || (s.error && s.error !== 'network') ? 'bad' : offline ? 'off' : 'on';
  const word = offline ? t('offline') : cls === 'bad' ? t('syncTrouble') : t('online');
  parts.push(`<span class="dot dot-${cls}" data-online="${!offline}">${esc(word)}</span>`);
  parts.push(`<span data-last-sync="${esc(s.lastSync || '')}">${esc(s.lastSync ? t('lastSync', { t: shortTime(s.lastSync) }) : t('neverSynced'))}</span>`);
  if (s.pending) parts.push(`<a href="#/sync" class="pill pill-warn" data-pending="${s.pending}">${esc(t('pending', { n: s.pending }))}</a>`);
  else if (!offline && !s.error && !s.refused && s.phase === 'paused' && s.lastSync) {
    parts.push(`<span class="pill pill-ok" data-pending="0">✓ ${esc(t('synced'))}</span>`);
  } else {
    parts.push(`<span class="pill" data-pending="0">${esc(s.phase === 'active' ? t('syncing') : t('pending', { n: 0 }))}</span>`);
  }
  if (s.refused) parts.push(`<a href="#/sync" class="pill pill-bad" data-refused="${s.refused}">${esc(t('refused', { n: s.refused }))}</a>`);
  const error = s.error && errorText(s);
  const fix = s.error === 'unauthorized' ? '#/login?again=1' : '#/sync';
  if (error) parts.push(`<a href="${fix}" class="status-error" data-error>${esc(error)}</a>`);
  if (s.phase === 'active' && !offline) parts.push(`<span class="spin" aria-hidden="true"></span>`);
  return parts.join('');
}

/** Keep #status current. */
export function mountStatusBar() {
  const el = document.getElementById('status');
  const draw = (s) => {
    el.innerHTML = html(s);
    el.dataset.phase = s.phase;
  };
  onSync(draw);
  setInterval(() => draw(syncState()), 30000);
  el.addEventListener('dblclick', syncNow);
}
