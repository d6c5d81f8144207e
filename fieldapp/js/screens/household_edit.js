// Edit a household: address (building, unit, room, address), head, phone, members (with key-population tags), colour and
// reason, notes. Saved as a stamped edit, so concurrent edits merge. Every
// change is kept as a draft (`edit:{id}`) until it is saved.

import { db } from '../db.js';
import { draftOf } from '../drafts.js';
import { clearErrors, showErrors } from '../formerrors.js';
import { t, v } from '../i18n.js';
import { link } from '../router.js';
import { saveHousehold } from '../records.js';
import {
  COLOURS, GENDERS, HOUSEHOLD_STATUSES, MEMBER_STATUSES, TAGS,
} from '../rules/schema/docs.js';
import {
  $, $$, choices, chosen, esc, setTitle, shortTime, toast, uuid, wireChoices,
} from '../ui.js';
import { restore, wireFormDraft } from './household_draft.js';

/** A member's block on a household form. */
export function memberBlock(m, removable = false) {
  return `<fieldset class="member-edit card" data-member="${esc(m.id)}">
    <div class="grid-3">
      <label data-field="name">${esc(t('memberName'))}<input name="name" value="${esc(m.name || '')}"></label>
      <label data-field="birth_year">${esc(t('birthYear'))}<input name="birth_year" inputmode="numeric" value="${esc(m.birth_year ?? '')}"></label>
      <div data-field="gender"><span class="label">${esc(t('gender'))}</span>${choices('gender', GENDERS.map((g) => [g, v(g)]), m.gender)}</div>
    </div>
    <div data-field="tags"><span class="label">${esc(t('tags'))}</span>${choices('tags', TAGS.map((g) => [g, v(g)]), m.tags || [], { multi: true })}</div>
    <label data-field="notes">${esc(t('memberNotes'))}<input name="notes" value="${esc(m.notes || '')}"></label>
    ${removable ? `<button type="button" class="btn btn-small remove-member">${esc(t('remove'))}</button>`
    : `<div data-field="status"><span class="label">${esc(t('memberStatus'))}</span>${choices('status', MEMBER_STATUSES.map((s) => [s, v(s)]), m.status || 'present', { required: true })}</div>`}
  </fieldset>`;
}

// What an input now says, trimmed; the stored value when only its spacing
// differs, so that opening and saving a form never stamps an untouched field.
export function typed(input, stored) {
  const text = input.value.trim();
  if (typeof stored === 'string' && stored.trim() === text) return stored;
  return text || undefined;
}

// A member from its block; keeps fields this form does not show.
export function readMember(block, old, i) {
  block.dataset.path = `members[${i}]`;
  $$('[data-field]', block).forEach((el) => { el.dataset.path = `members[${i}].${el.dataset.field}`; });
  const m = { ...(old || {}), id: block.dataset.member, name: typed($('[name=name]', block), old?.name) ?? '' };
  const year = $('[name=birth_year]', block).value.trim();
  if (year) m.birth_year = /^\d+$/.test(year) ? Number(year) : year; else delete m.birth_year;
  const gender = chosen($('[data-name=gender]', block));
  if (gender) m.gender = gender; else delete m.gender;
  const tags = chosen($('[data-name=tags]', block));
  if (tags.length || old?.tags) m.tags = tags;           // no empty list on a member that had none
  const notes = typed($('[name=notes]', block), old?.notes);
  if (notes) m.notes = notes; else delete m.notes;
  const status = $('[data-name=status]', block) && chosen($('[data-name=status]', block));
  if (status && (status !== 'present' || old?.status)) m.status = status;   // never deleted: marked
  return m;
}

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
  const kept = wireFormDraft(form, key, state, { base: hh });
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

/** Add and remove member blocks on a household form. */
export function wireMembers(form) {
  $('#add-member', form).onclick = () => {
    $('#members', form).insertAdjacentHTML('beforeend', memberBlock({ id: `m-${uuid().slice(0, 13)}`, tags: [] }, true));
    $('#members', form).lastElementChild.querySelector('input').focus();
  };
  form.addEventListener('click', (event) => {
    if (event.target.closest('.remove-member')) event.target.closest('.member-edit').remove();
  });
}
