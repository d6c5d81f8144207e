// A visit done again: one the server refused, corrected and sent again as a
// new revision of the same id; one the supervisor sent back (退回修改),
// amended as a new visit that names it in `supersedes`. Both open the visit
// form filled as the visit was; leaving with changes asks first.

import { db } from '../db.js';
import { showErrors } from '../formerrors.js';
import { t, v } from '../i18n.js';
import { refusedDocs } from '../outbox.js';
import { resendVisit, saveVisit } from '../records.js';
import { explain } from '../refusal.js';
import { guardLeaving, link } from '../router.js';
import { index } from '../store.js';
import { $, confirmDialog, esc, setTitle, shortTime } from '../ui.js';
import { formOfVisit, restore } from './visit_draft.js';
import { html, showPhoto, wire } from './visit_form.js';

// The first photo of a stored visit, as the form keeps one.
function photoOf(visit) {
  const attached = Object.values(visit._attachments || {})[0];
  return attached?.data ? { data: attached.data, width: '?', height: '?', bytes: Math.round(attached.data.length * 0.75) } : null;
}

// Changes made → leaving asks with text.
function guard(form, state, text) {
  form.addEventListener('input', () => { state.dirty = true; });
  form.addEventListener('click', (e) => { if (e.target.closest('button')) state.dirty = true; });
  guardLeaving(() => (!state.dirty || state.saved ? true
    : confirmDialog({ text: t(text), ok: t('leave'), danger: true })));
}

/**
 * The visit form on a visit the server refused (id), filled as it was sent,
 * its problems shown: saving sends a corrected revision of the same visit.
 */
export async function visitFix(view, { id }) {
  let visit, hh;
  try {
    visit = await db().get(id, { attachments: true });
    hh = await db().get(visit.household);
  } catch { location.hash = '#/'; return null; }
  setTitle(`${t('fixVisit')} · ${hh.building} ${hh.unit || ''} ${hh.room}`, link('refused', id));
  view.innerHTML = html(hh);
  const form = $('#visit-form', view);
  const photo = photoOf(visit);
  const kept = formOfVisit(visit, hh, photo);
  restore(form, kept);
  const state = {
    photo, dirty: false, saved: false, fixing: true,
    save: (form_, problems) => resendVisit(visit, hh, form_, problems),
  };
  if (photo) showPhoto(form, photo);
  const warnings = wire(form, hh, state);
  warnings.restore(kept.warnings);
  showErrors(form, explain({ ...visit, _attachments: undefined }, refusedDocs()[id]?.reason));
  guard(form, state, 'leaveFix');
  return null;
}

/**
 * The visit form on a visit the supervisor sent back (id), filled as it was
 * with their comment on top: saving records a NEW visit naming it in
 * `supersedes` (a submitted visit never changes).
 */
export async function visitAmend(view, { id }) {
  let old, hh;
  try {
    old = await db().get(id, { attachments: true });
    hh = await db().get(old.household);
  } catch { location.hash = '#/'; return null; }
  const review = index.reviews.get(id);
  setTitle(`${t('amendVisit')} · ${hh.building} ${hh.unit || ''} ${hh.room}`, link('visit', id));
  view.innerHTML = `<div class="card review-card review-needs_fix" id="sent-back-comment">
      <strong>${esc(t('review'))}${esc(t('colon'))}${esc(v('needs_fix'))}</strong><p>${esc(review?.comment || '')}</p>
      <span class="muted">${esc(review?.reviewer || '')} ${review?.reviewed_at ? esc(shortTime(review.reviewed_at)) : ''}
        · ${esc(t('amendHelp'))}</span></div>${html(hh)}`;
  const form = $('#visit-form', view);
  const photo = photoOf(old);
  const kept = formOfVisit(old, hh, photo);
  restore(form, kept);
  const made = (old.warnings || []).filter((w) => w.decision === 'accepted').map((w) => `${w.rule}|${w.member ?? ''}`);
  const state = {
    photo, dirty: false, saved: false, fixing: false, savedText: 'amendSaved',
    save: (form_, problems) => saveVisit(hh, { ...form_, supersedes: id, skipReferrals: made }, problems),
  };
  if (photo) showPhoto(form, photo);
  const warnings = wire(form, hh, state);
  warnings.restore(kept.warnings);
  guard(form, state, 'leaveAmend');
  return null;
}
