// A new visit: outcome, member checks with early warnings to decide, needs
// (→ requests), services, colour after (reason for yellow and red), follow-up
// date, notes, a photo. Checked with the server's rules before it is saved;
// saved as "submitted", with a referral for each accepted warning that asks one.
// Until then every change is kept as this household's draft (drafts.js), which
// the form resumes; leaving it with input not saved as a visit asks first.

import { db } from '../db.js';
import { draftOf, dropDraft } from '../drafts.js';
import { clearErrors, showErrors, showFieldErrors } from '../formerrors.js';
import { validate } from '../rules/validate.js';
import { t, v } from '../i18n.js';
import { compressPhoto } from '../photo.js';
import { link } from '../router.js';
import { saveVisit, visitDocs } from '../records.js';
import { CHANNELS, COLOURS, OUTCOMES } from '../rules/schema/docs.js';
import {
  $, $$, addDays, choices, chosen, esc, setTitle, shortTime, toast, wireChoices,
} from '../ui.js';
import { wireFormDraft } from './form_draft.js';
import { restore, snapshot } from './visit_draft.js';
import {
  addService, checkBlock, needBlock, readCheck, readNeed, servicesBlock, wireNeed,
} from './visit_parts.js';
import { householdWarnings, rulesNote, wireWarnings } from './visit_warnings.js';

const section = (title, body, path = '') =>
  `<section class="card"${path ? ` data-path="${path}"` : ''}><h2>${esc(title)}</h2>${body}</section>`;

/**
 * On a phone, WeChat or video contact readings are optional: members with
 * nothing typed are left unchecked (a resident's own reading can still be
 * entered by ticking them); at the door, key-population members are on again.
 */
export function remoteChannel(form) {
  const remote = chosen($('[data-name=channel]', form)) !== 'door';
  $('#remote-note', form).hidden = !remote;
  for (const block of $$('.check', form)) {
    const typed = $$('input[inputmode]', block).some((i) => i.value.trim())
      || $$('.choice[aria-pressed=true]', block).length;
    if (typed) continue;
    const on = !remote && block.querySelector('.tag') !== null;
    $('.include', block).checked = on;
    block.classList.toggle('off', !on);
  }
}

/** The form's HTML for household hh. */
export function html(hh) {
  const members = (hh.members || []).filter((m) => m && (!m.status || m.status === 'present'));
  return `<form class="form" id="visit-form" novalidate>
    <div id="errors" class="errors" role="alert" hidden></div>
    ${section(t('channel'), `${choices('channel', CHANNELS.map((c) => [c, v(c)]), 'door', { cls: 'big-choice', required: true })}
      <p class="muted" id="remote-note" hidden>${esc(t('remoteNote'))}</p>`, 'channel')}
    ${section(t('outcome'), choices('outcome', OUTCOMES.map((o) => [o, v(o)]), 'met', { cls: 'big-choice', required: true }), 'outcome')}
    ${householdWarnings()}
    <section class="card" id="checks" data-path="checks"><h2>${esc(t('checks'))}</h2>${rulesNote()}
      ${members.map(checkBlock).join('') || `<p class="muted">${esc(t('noMembers'))}</p>`}</section>
    <section class="card" data-path="needs"><h2>${esc(t('needs'))}</h2><div id="needs"></div>
      <button type="button" class="btn btn-wide" id="add-need">${esc(t('addNeed'))}</button></section>
    ${section(t('services'), servicesBlock())}
    <section class="card"><h2>${esc(t('colourAfter'))}</h2>
      <div data-path="colour_after">${choices('colour_after', COLOURS.map((c) => [c, v(c)]), hh.colour, { cls: 'colour', required: true })}</div>
      <label data-path="colour_reason">${esc(t('colourReason'))}
        <textarea name="colour_reason" rows="2">${esc(hh.colour === 'green' ? '' : hh.colour_reason || '')}</textarea></label>
    </section>
    <section class="card"><h2>${esc(t('followUpOn'))}</h2>
      <div class="row wrap" data-path="follow_up_on"><input type="date" name="follow_up_on" min="${addDays(0)}">
        <button type="button" class="btn" data-days="1">${esc(t('tomorrow'))}</button>
        <button type="button" class="btn" data-days="3">${esc(t('in3days'))}</button>
        <button type="button" class="btn" data-days="7">${esc(t('in7days'))}</button>
        <button type="button" class="btn" data-days="">${esc(t('none'))}</button></div></section>
    <section class="card"><h2>${esc(t('notes'))}</h2>
      <label data-path="notes"><textarea name="notes" rows="3"></textarea></label></section>
    <section class="card" data-path="_attachments"><h2>${esc(t('photo'))}</h2>
      <label class="btn photo-btn">${esc(t('takePhoto'))}<input type="file" name="photo" accept="image/*" capture="environment" hidden></label>
      <div id="photo-preview" hidden><img alt=""><span class="muted" id="photo-size"></span>
        <button type="button" class="btn btn-small" id="remove-photo">${esc(t('removePhoto'))}</button></div></section>
    <p class="muted draft-state" id="draft-state" title="${esc(t('draftHelp'))}"></p>
    <div class="actions"><span id="warn-pending" class="flag flag-overdue" hidden></span>
      <a class="btn btn-big" href="${link('hh', hh._id)}">${esc(t('cancel'))}</a>
      <button type="submit" class="btn btn-primary btn-big" id="save-visit">${esc(t('saveVisit'))}</button></div>
  </form>`;
}

// The outcome and the checks typed so far (what the warning rules read).
function readVisit(form) {
  const outcome = chosen($('[data-name=outcome]', form));
  let i = 0;
  const checks = outcome === 'met'
    ? $$('.check', form).map((b) => { const c = readCheck(b, i); if (c) i += 1; return c; }).filter(Boolean) : [];
  return { outcome, checks };
}

function collect(form, photo, decided) {
  return {
    ...readVisit(form),
    channel: chosen($('[data-name=channel]', form)),
    warnings: decided.warnings,
    rules_version: decided.rules_version,
    needs: $$('.need', form).map(readNeed),
    services: chosen($('[data-name=services]', form)),
    colour_after: chosen($('[data-name=colour_after]', form)),
    colour_reason: form.colour_reason.value.trim(),
    follow_up_on: form.follow_up_on.value,
    notes: form.notes.value.trim(),
    photo: photo?.data,
  };
}


/** Show photo ({data, width, height, bytes}) under the form's photo button. */
export function showPhoto(form, photo) {
  const preview = $('#photo-preview', form);
  $('img', preview).src = `data:image/jpeg;base64,${photo.data}`;
  $('#photo-size', preview).textContent = `${photo.width}×${photo.height} · ${Math.round(photo.bytes / 1024)} kB`;
  preview.hidden = false;
}

// Keep the form as the household's draft a moment after each change (and at
// once when the app is hidden or closed); ask before leaving it unsaved.
function wireDraft(form, hh, state, warnings) {
  const draft = wireFormDraft(form, hh._id, state,
    () => snapshot(form, state.photo, warnings.decided()), t('leaveDraft'));
  state.keep = draft.keep;
  return draft;
}

/**
 * Wire form for hh; state = {photo, saved, save(form, problems)} (save returns
 * validation errors). Returns the warnings wiring ({update, collect, decided, restore}).
 */
export function wire(form, hh, state) {
  const warnings = wireWarnings(form, hh, () => readVisit(form));
  wireChoices(form, (name, group) => {
    if (name === 'outcome') $('#checks', form).hidden = chosen($('[data-name=outcome]', form)) !== 'met';
    if (name === 'channel') remoteChannel(form);
    if (name === 'outcome' || group.closest('#checks')) warnings.update();
  });
  warnings.update();
  form.addEventListener('change', (e) => {
    if (e.target.classList.contains('include')) e.target.closest('.check').classList.toggle('off', !e.target.checked);
  });
  // A field's old error goes as soon as it is retyped (so nothing below it moves
  // under the worker's next tap); it is checked again when they leave it.
  form.addEventListener('input', (e) => {
    const anchor = e.target.closest?.('label[data-path]');
    if (anchor?.classList.contains('invalid')) showFieldErrors(anchor, anchor.dataset.path, []);
  });
  // Each field is checked as the worker leaves it, with the rules the save uses.
  form.addEventListener('focusout', (e) => {
    const anchor = e.target.closest?.('label[data-path]');
    if (!anchor || !e.target.matches('input, textarea')) return;
    readVisit(form);                                   // sets the check blocks' paths
    $$('.need', form).forEach((b, i) => readNeed(b, i));
    const [visit] = visitDocs(hh, collect(form, null, { warnings: [] }));
    showFieldErrors(anchor, anchor.dataset.path, validate(visit));
  });
  $('#add-need', form).onclick = () => {
    $('#needs', form).insertAdjacentHTML('beforeend', needBlock());
    wireNeed($('#needs', form).lastElementChild);
  };
  form.addEventListener('click', (e) => {
    if (e.target.closest('.remove-need')) e.target.closest('.need').remove();
    const days = e.target.closest('[data-days]')?.dataset.days;
    if (days !== undefined) form.follow_up_on.value = days ? addDays(Number(days)) : '';
  });
  $('#add-service', form).onclick = () => addService(form);
  form.photo.onchange = async () => {
    const file = form.photo.files[0];
    if (!file) return;
    state.photo = await compressPhoto(file);
    showPhoto(form, state.photo);
    state.keep?.();
  };
  $('#remove-photo', form).onclick = () => { state.photo = null; $('#photo-preview', form).hidden = true; form.photo.value = ''; };
  form.onsubmit = async (event) => {
    event.preventDefault();
    clearErrors(form);
    const button = $('#save-visit', form);
    button.disabled = true;
    try {
      const decided = warnings.collect();
      const errors = await state.save(collect(form, state.photo, decided), decided.errors);
      if (errors.length) { showErrors(form, errors); return; }
      state.saved = true;
      if (!state.fixing && !state.savedText) await dropDraft(hh._id);
      toast(t(state.savedText || (state.fixing ? 'resent' : 'saved')));
      location.hash = link('hh', hh._id);
    } finally {
      button.disabled = false;
    }
  };
  return warnings;
}

/** The new-visit form of household id. */
export async function visitForm(view, { id }) {
  let hh;
  try { hh = await db().get(id); } catch { location.hash = '#/'; return null; }
  setTitle(`${t('newVisit')} · ${hh.building} ${hh.unit || ''} ${hh.room}`, link('hh', id));
  view.innerHTML = html(hh);
  const form = $('#visit-form', view);
  const draft = await draftOf(id);
  const state = {
    photo: null, dirty: Boolean(draft), saved: false,
    save: (form_, problems) => saveVisit(hh, form_, problems),
  };
  if (draft) {
    restore(form, draft.form);
    state.photo = draft.form.photo || null;
    if (state.photo) showPhoto(form, state.photo);
    $('#draft-state', form).textContent = t('draftSavedAt', { t: shortTime(draft.saved_at) });
    toast(t('draftResumed', { t: shortTime(draft.saved_at) }));
  }
  const warnings = wire(form, hh, state);
  if (draft) warnings.restore(draft.form.warnings);
  wireDraft(form, hh, state, warnings);
  return null;
}

