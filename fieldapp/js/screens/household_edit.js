// Edit a household: address (building, unit, room, address), head, phone, members (with key-population tags), colour and
// reason, notes. Saved as a stamped edit, so concurrent edits merge. Every
// change is kept as a draft (`edit:{id}`) until it is saved.

import { db } from '../db.js';
import { draftOf } from '../drafts.js';
import { clearErrors, showErrors } from '../formerrors.js';
import { t, v } from '../i18n.js';
import { link } from '../router.js';
import { saveHousehold } from '../records.js';
import { COLOURS, HOUSEHOLD_STATUSES } from '../rules/schema/docs.js';
import {
  $, $$, choices, chosen, esc, setTitle, shortTime, toast, wireChoices,
} from '../ui.js';
import { restore, wireHouseholdDraft } from './household_draft.js';
import { memberBlock, readMember, typed, wireMembers } from './household_members.js';

/** The household edit form. */
export async function householdEdit(view, { id }) {
  let hh;
  try { hh = await db().get(id); } catch { location.hash = '#/'; return null; }
  const key = `edit:${id}`;
  const draft = await draftOf(key);
  // A resumed draft edits the household as it was when the draft began, so
  // what a sync changed meanwhile in fields the worker left alone is kept.
  if (draft?.form.base?._id === id) hh = draft.form.base;
  setTitle(`${t('edit')} · ${hh.building} ${hh.unit || ''} ${hh.room}`, link('hh', id));
  const old = new Map((hh.members || []).filter(Boolean).map((m) => [m.id, m]));
  view.innerHTML = `<form class="form" id="hh-form" novalidate>
    <div id="errors" class="errors" role="alert" hidden></div>
    <section class="card" id="hh-fields">
      <div class="grid-3"><label data-path="building">${esc(t('building'))}<input name="building" value="${esc(hh.building || '')}"></label>
        <label data-path="unit">${esc(t('unit'))}<input name="unit" value="${esc(hh.unit || '')}"></label>
        <label data-path="room">${esc(t('room'))}<input name="room" value="${esc(hh.room || '')}"></label></div>
      <label data-path="address">${esc(t('address'))}<input name="address" value="${esc(hh.address || '')}"></label>
      <label data-path="head">${esc(t('head'))}<input name="head" value="${esc(hh.head || '')}"></label>
      <label data-path="phone">${esc(t('phone'))}<input name="phone" type="tel" value="${esc(hh.phone || '')}"></label>
      <div data-path="colour"><span class="label">${esc(t('colour'))}</span>
        ${choices('colour', COLOURS.map((c) => [c, v(c)]), hh.colour, { cls: 'colour', required: true })}</div>
      <label data-path="colour_reason">${esc(t('colourReason'))}<textarea name="colour_reason" rows="2">${esc(hh.colour_reason || '')}</textarea></label>
      <label data-path="notes">${esc(t('notes'))}<textarea name="notes" rows="2">${esc(hh.notes || '')}</textarea></label>
      <div data-path="status"><span class="label">${esc(t('householdStatus'))}</span>
        ${choices('status', HOUSEHOLD_STATUSES.map((s) => [s, v(s)]), hh.status || 'active', { required: true })}</div>
    </section>
    <h2 data-path="members">${esc(t('members'))}</h2>
    <div id="members">${[...old.values()].map((m) => memberBlock(m)).join('')}</div>
    <button type="button" class="btn btn-wide" id="add-member">${esc(t('addMember'))}</button>
    <p class="muted" id="draft-state"></p>
    <div class="actions"><a class="btn btn-big" href="${link('hh', id)}">${esc(t('cancel'))}</a>
      <button type="submit" class="btn btn-primary btn-big" id="save">${esc(t('save'))}</button></div>
  </form>`;
  const form = $('#hh-form', view);
  if (draft) {
    restore(form, draft.form);
    $('#draft-state', form).textContent = t('draftSavedAt', { t: shortTime(draft.saved_at) });
    toast(t('formDraftResumed', { t: shortTime(draft.saved_at) }));
  }
  wireChoices(form);
  wireMembers(form);
  const state = { dirty: Boolean(draft), saved: false };
  const kept = wireHouseholdDraft(form, key, state, { base: hh });
  form.onsubmit = async (event) => {
    event.preventDefault();
    clearErrors(form);
    const members = $$('.member-edit', form).map((b, i) => readMember(b, old.get(b.dataset.member), i));
    // Household fields are read inside their own section: members have
    // inputs of the same names (notes), and form.notes would be a list of them.
    const own = (name) => typed($(`#hh-fields [name=${name}]`, form), hh[name]);
    const changes = {
      building: own('building'), unit: own('unit'), room: own('room'), address: own('address'),
      head: own('head'),
      phone: own('phone'),
      colour: chosen($('#hh-fields [data-name=colour]', form)),
      colour_reason: own('colour_reason'),
      notes: own('notes'),
      members,
    };
    const status = chosen($('#hh-fields [data-name=status]', form));
    if (status !== 'active' || hh.status) changes.status = status;
    const errors = await saveHousehold(hh, changes);
    if (errors.length) { showErrors(form, errors); return; }
    await kept.done();
    toast(t('saved'));
    location.hash = link('hh', id);
  };
  return null;
}

