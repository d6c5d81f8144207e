// Unfinished visits where the worker looks for their work: a card per draft
// on the home screen and on its household's page, each resumed with one tap
// or discarded after a confirm.

import { drafts, dropDraft } from '../drafts.js';
import { t } from '../i18n.js';
import { link } from '../router.js';
import { index } from '../store.js';
import { $$, confirmDialog, esc, shortTime, toast } from '../ui.js';

function row(id, draft, withAddress) {
  const hh = index.households.get(id);
  const where = hh ? `${hh.building} ${hh.unit || ''} ${hh.room} · ${hh.head || ''}` : id;
  return `<div class="draft-row row between wrap" data-draft="${esc(id)}">
    <span>${withAddress ? `<strong>${esc(where)}</strong> ` : ''}<span class="muted">${esc(t('draftOf', { t: shortTime(draft.saved_at) }))}</span></span>
    <span class="row"><button type="button" class="btn discard-draft">${esc(t('discardDraft'))}</button>
      <a class="btn btn-primary resume-draft" href="${link('hh', id, 'visit')}">${esc(t('resumeDraft'))}</a></span></div>`;
}

/**
 * The drafts card ('' when none): of household only (its page) or of every
 * household (home, with addresses). list is drafts() as read.
 */
export function draftsCard(list, household = null) {
  const ids = Object.keys(list).filter((id) => !household || id === household)
    .sort((a, b) => (list[a].saved_at < list[b].saved_at ? 1 : -1));
  if (!ids.length) return '';
  return `<section class="card draft-card" id="drafts" data-count="${ids.length}">
    <h2>${esc(t('drafts'))} (${ids.length})</h2>${ids.map((id) => row(id, list[id], !household)).join('')}</section>`;
}

/** Wire the discard buttons under root; after one is discarded, redraw(). */
export function wireDrafts(root, redraw) {
  for (const button of $$('.discard-draft', root)) {
    button.onclick = async () => {
      const ok = await confirmDialog({ text: t('discardDraftConfirm'), ok: t('discardDraft'), danger: true });
      if (!ok) return;
      await dropDraft(button.closest('[data-draft]').dataset.draft);
      toast(t('draftDiscarded'));
      redraw();
    };
  }
}

export { drafts };
