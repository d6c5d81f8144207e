// Unfinished work where the worker looks for it: a card per draft (a visit, a
// household edit, a new household, a campaign answer) on the home screen and on its household's
// page, each resumed with one tap or discarded after a confirm.

import {
  answerParts, draftHref, draftKind, draftSubject, drafts, dropDraft,
} from '../drafts.js';
import { campaignDoc } from '../campaigns.js';
import { t } from '../i18n.js';
import { index } from '../store.js';
import { $$, confirmDialog, esc, shortTime, toast } from '../ui.js';

/** Where the draft under key is (address, or grid and what was typed), as text. */
export function draftWhere(key, draft) {
  const kind = draftKind(key);
  if (kind === 'new') {
    const f = draft.form?.fields || {};
    const typed = [f.building, f.unit, f.room].filter(Boolean).join(' ');
    return `${index.grids.get(draftSubject(key))?.name || draftSubject(key)}${typed ? ` · ${typed}` : ''}`;
  }
  const subject = draftSubject(key);
  if (kind === 'answer' && subject.startsWith('contact:')) {
    const grid = subject.slice('contact:'.length);
    return `${index.grids.get(grid)?.name || grid} · ${t('contactAnswer')}`;
  }
  const hh = index.households.get(subject);
  return hh ? `${hh.building} ${hh.unit || ''} ${hh.room} · ${hh.head || ''}` : draftSubject(key);
}

/** A pill naming what the draft is (a visit, a household edit, a new household). */
export function draftPill(key) {
  const campaign = draftKind(key) === 'answer' ? campaignDoc(answerParts(key)[0]) : null;
  return `<span class="pill pill-warn" data-draft-kind="${esc(draftKind(key))}">${esc(t(`draftKind_${draftKind(key)}`))}${campaign ? ` · ${esc(campaign.name)}` : ''}</span>`;
}

function row(id, draft, withAddress) {
  return `<div class="draft-row row between wrap" data-draft="${esc(id)}" data-draft-kind="${esc(draftKind(id))}">
    <span>${withAddress ? `<strong>${esc(draftWhere(id, draft))}</strong> ` : ''}${draftPill(id)} <span class="muted">${esc(t('draftOf', { t: shortTime(draft.saved_at) }))}</span></span>
    <span class="row"><button type="button" class="btn discard-draft">${esc(t('discardDraft'))}</button>
      <a class="btn btn-primary resume-draft" href="${draftHref(id)}">${esc(t('resumeDraft'))}</a></span></div>`;
}

/**
 * The drafts card ('' when none): of household only (its page) or of every
 * household (home, with addresses). list is drafts() as read.
 */
export function draftsCard(list, household = null) {
  const ids = Object.keys(list)
    .filter((id) => !household || (draftKind(id) !== 'new' && draftSubject(id) === household))
    .sort((a, b) => (list[a].saved_at < list[b].saved_at ? 1 : -1));
  if (!ids.length) return '';
  return `<section class="card draft-card" id="drafts" data-count="${ids.length}">
    <h2>${esc(t('drafts'))} (${ids.length})</h2>${ids.map((id) => row(id, list[id], !household)).join('')}</section>`;
}

/** Wire the discard buttons under root; after one is discarded, redraw(). */
export function wireDrafts(root, redraw) {
  for (const button of $$('.discard-draft', root)) {
    button.onclick = async () => {
      const key = button.closest('[data-draft]').dataset.draft;
      const kind = draftKind(key);
      const text = { visit: t('discardDraftConfirm'), answer: t('discardAnswerConfirm') }[kind] || t('discardFormDraftConfirm');
      const ok = await confirmDialog({ text, ok: t('discardDraft'), danger: true });
      if (!ok) return;
      await dropDraft(key);
      toast(t('draftDiscarded'));
      redraw();
    };
  }
}

export { drafts };
