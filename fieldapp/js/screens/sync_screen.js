// Sync details (what waits to upload, what the server refused and why) and
// settings (language, sign out — which warns about unsynced work and wipes
// the tablet's data on confirmation).

import { logout, session } from '../api.js';
import { draftCount } from '../drafts.js';
import { db, destroyLocal } from '../db.js';
import { currentLang, setLang, t } from '../i18n.js';
import { clearOutbox, pendingIds, standingRefusals } from '../outbox.js';
import { explain } from '../refusal.js';
import { describeDoc } from './refused.js';
import { link } from '../router.js';
import { stopSync, syncNow, syncState } from '../sync.js';
import { forgetKeys } from '../vault.js';
import { $, confirmDialog, esc, setTitle, shortTime } from '../ui.js';

const docLink = (id) => (id.startsWith('visit:') ? link('visit', id) : id.startsWith('household:') ? link('hh', id) : null);

/** Sync details. */
export async function syncScreen(view) {
  setTitle(t('syncDetails'), '#/');
  const draw = async () => {
    const refused = await standingRefusals(db());
    const pending = pendingIds().filter((id) => !refused[id]);
    const ids = [...new Set([...pending, ...Object.keys(refused)])];
    const { rows } = await db().allDocs({ keys: ids, include_docs: true });
    const docs = Object.fromEntries(rows.map((r) => [r.key, r.doc]));
    const item = (id, extra = '') => {
      const href = refused[id] ? link('refused', id) : docLink(id);
      const label = describeDoc(id, docs[id]);
      return `<li data-doc="${esc(id)}">${href ? `<a href="${href}">${label}</a>` : label}${extra}</li>`;
    };
    view.innerHTML = `<button class="btn btn-primary btn-big btn-wide" id="sync-now">${esc(t('retryNow'))}</button>
      <section class="card"><h2>${esc(t('pendingList'))} (${pending.length})</h2>
        <ul class="doc-list">${pending.map((id) => item(id)).join('') || `<li class="muted">${esc(t('nothingPending'))}</li>`}</ul></section>
      <section class="card"><h2>${esc(t('refusedList'))} (${Object.keys(refused).length})</h2>
        ${Object.keys(refused).length ? `<p class="muted">${esc(t('refusedHelp'))}</p>` : ''}
        <ul class="doc-list" id="refused">${Object.entries(refused).map(([id, r]) => item(id,
    `<span class="muted">${esc(shortTime(r.at))}</span><p class="error" data-reason>${esc(explain(docs[id], r.reason).map((p) => p.text).join(t('clauseSep')))}</p>`)).join('')
    || `<li class="muted">${esc(t('nothingRefused'))}</li>`}</ul></section>`;
    $('#sync-now', view).onclick = syncNow;
  };
  await draw();
  return { refresh: draw };
}

/** Settings: language and sign-out. */
export async function settings(view) {
  setTitle(t('settings'), '#/');
  const s = session();
  if (!s) { location.hash = '#/login'; return null; }
  view.innerHTML = `<section class="card">
      <div class="kv"><span class="muted">${esc(t('user'))}</span><span>${esc(s.user.display_name || s.user.name)} (${esc(s.user.name)})</span></div>
      <div class="kv"><span class="muted">${esc(t('device'))}</span><span>${esc(s.device)}</span></div>
      <div class="kv"><span class="muted">${esc(t('myGrids'))}</span><span>${esc((s.user.grids || []).join(', '))}</span></div>
    </section>
    <button class="btn btn-big btn-wide" id="lang">${esc(t('language'))}: ${esc(t('lang'))}</button>
    <button class="btn btn-danger btn-big btn-wide" id="logout">${esc(t('logout'))}</button>`;
  $('#lang', view).onclick = () => { setLang(currentLang() === 'zh' ? 'en' : 'zh'); location.reload(); };
  $('#logout', view).onclick = async () => {
    const state = syncState();
    const unsynced = state.pending + state.refused;
    const unfinished = await draftCount();          // drafts never leave the tablet
    const text = [unsynced ? t('logoutUnsynced', { n: unsynced }) : '',
      unfinished ? t('logoutDrafts', { n: unfinished }) : ''].filter(Boolean).join(' ');
    const ok = await confirmDialog(text
      ? { text, ok: t('logoutAnyway'), danger: true }
      : { text: t('logoutConfirm'), ok: t('logout'), danger: true });
    if (!ok) return;
    stopSync();
    await logout();
    clearOutbox();
    await destroyLocal(s.user.name);
    forgetKeys(s.user.name);
    location.hash = '#/login';
    location.reload();
  };
  return null;
}
