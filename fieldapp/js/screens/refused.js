// One document the server refused (被拒收): what it is, why in words, and the
// two ways out — correct it and send it again (a visit in the visit form, a
// household in its editor), or discard it from this tablet after a confirm.
// Until then it stays here, counted on the bar.

import { db } from '../db.js';
import { t } from '../i18n.js';
import { forget, refusedDocs } from '../outbox.js';
import { explain } from '../refusal.js';
import { link } from '../router.js';
import { index, noteRemoved, noteSaved } from '../store.js';
import { recount } from '../sync.js';
import { $, confirmDialog, esc, setTitle, shortTime, toast } from '../ui.js';

/** What a document is, in words: "走访 · 1号楼 1单元 101 · 11-24 09:30" (HTML). */
export function describeDoc(id, doc) {
  if (!doc) return esc(id);
  const hh = index.households.get(doc.household || id) || (doc.type === 'household' ? doc : null);
  const where = hh ? `${hh.building} ${hh.unit || ''} ${hh.room}` : (doc.household || id).split(':').pop();
  const kind = { visit: t('visit'), request: t('requestRaised'), household: t('householdDoc') }[doc.type] || doc.type;
  const when = doc.visited_at || doc.opened_at || doc.updated_at;
  return `<strong>${esc(kind)}</strong> · ${esc(where)}${when ? ` · ${esc(shortTime(when))}` : ''}`;
}

// Where the document is corrected, or null when it cannot be (only discarded).
const fixLink = (doc) => (doc?.type === 'visit' ? link('visit', doc._id, 'fix')
  : doc?.type === 'household' ? link('hh', doc._id, 'edit') : null);

/**
 * Drop id's refused revision from this tablet (never sent again): purged, so
 * nothing replicates; a household falls back to what the server holds.
 */
async function discard(id, rev) {
  const local = db();
  try { await local.purge(id, rev); } catch { /* already gone */ }
  let left = null;
  try { left = await local.get(id); } catch { /* nothing older here */ }
  if (left) noteSaved([left]); else noteRemoved(id);
  forget(id);
  recount();
}

/** The refused document id. */
export async function refusedDoc(view, { id }) {
  setTitle(t('refusedDoc'), '#/sync');
  const refusal = refusedDocs()[id];
  let doc = null;
  try { doc = await db().get(id); } catch { /* discarded */ }
  if (!refusal || !doc || doc._rev !== refusal.rev) {
    view.innerHTML = `<p class="empty" id="not-refused">${esc(t('notRefusedNow'))}</p>`;
    return null;
  }
  const problems = explain(doc, refusal.reason);
  const fix = fixLink(doc);
  view.innerHTML = `<section class="card refused-card" data-refused="${esc(id)}">
      <p>${describeDoc(id, doc)}</p>
      <p class="muted">${esc(t('refusedAt', { t: shortTime(refusal.at) }))}</p>
      <h2>${esc(t('refusedWhy'))}</h2>
      <ul class="errors-list" id="problems">${problems.map((p) =>
    `<li class="error" data-field="${esc(p.field)}">${esc(p.text)}</li>`).join('')}</ul>
      <p class="muted">${esc(fix ? t('refusedFixHelp') : t('refusedDiscardHelp'))}</p>
    </section>
    <div class="actions">
      <button type="button" class="btn btn-danger btn-big" id="discard">${esc(t('discardRefused'))}</button>
      ${fix ? `<a class="btn btn-primary btn-big" id="fix" href="${fix}">${esc(t('fixRefused'))}</a>` : ''}</div>`;
  $('#discard', view).onclick = async () => {
    const ok = await confirmDialog({ text: t('discardRefusedConfirm'), ok: t('discardRefused'), danger: true });
    if (!ok) return;
    await discard(id, refusal.rev);
    toast(t('refusedDiscarded'));
    location.hash = doc.household ? link('hh', doc.household) : '#/sync';
  };
  return null;
}
