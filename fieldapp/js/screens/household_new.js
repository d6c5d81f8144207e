// A household added at the door (offline too): address, head, phone,
// colour and members. Its id is `household:{grid}:n-{random}` — random, so a
// household added on another tablet can never take the same id — and the
// document is stamped as new, so later edits merge field by field. Every
// change is kept as the grid's new-household draft (`new:{grid}`) until saved.

import { clearErrors, showErrors } from '../formerrors.js';
import { t, v } from '../i18n.js';
import { link } from '../router.js';
import { draftOf } from '../drafts.js';
import { addHousehold } from '../records.js';
import { COLOURS } from '../rules/schema/docs.js';
import { index } from '../store.js';
import {
  $, $$, choices, chosen, esc, setTitle, shortTime, toast, uuid, wireChoices,
} from '../ui.js';
import { restore, wireHouseholdDraft } from './household_draft.js';
import { memberBlock, readMember, typed, wireMembers } from './household_members.js';

/** A new household id in grid: random, so no two tablets make the same one. */
export const newHouseholdId = (grid) => `household:${grid}:n-${uuid().replace(/-/g, '').slice(0, 20)}`;

/** The new-household form of grid (building prefilled when given). */
export async function householdNew(view, { grid, building = '' }) {
  const back = building ? link('grid', grid, 'b', building) : link('grid', grid);
  setTitle(`${t('newHousehold')} · ${index.grids.get(grid)?.name || grid}`, back);
  view.innerHTML = `<form class="form" id="hh-new" novalidate>
    <div id="errors" class="errors" role="alert" hidden></div>
    <section class="card" id="hh-fields">
      <div class="grid-3"><label data-path="building">${esc(t('building'))}<input name="building" value="${esc(building)}"></label>
        <label data-path="unit">${esc(t('unit'))}<input name="unit"></label>
        <label data-path="room">${esc(t('room'))}<input name="room" inputmode="numeric"></label></div>
      <label data-path="head">${esc(t('head'))}<input name="head"></label>
      <label data-path="phone">${esc(t('phone'))}<input name="phone" type="tel"></label>
      <label data-path="address">${esc(t('address'))}<input name="address"></label>
      <div data-path="colour"><span class="label">${esc(t('colour'))}</span>
        ${choices('colour', COLOURS.map((c) => [c, v(c)]), 'green', { cls: 'colour', required: true })}</div>
      <label data-path="colour_reason">${esc(t('colourReason'))}<textarea name="colour_reason" rows="2"></textarea></label>
    </section>
    <h2 data-path="members">${esc(t('members'))}</h2>
    <div id="members"></div>
    <button type="button" class="btn btn-wide" id="add-member">${esc(t('addMember'))}</button>
    <p class="muted" id="draft-state"></p>
    <div class="actions"><a class="btn btn-big" href="${back}">${esc(t('cancel'))}</a>
      <button type="submit" class="btn btn-primary btn-big" id="save">${esc(t('save'))}</button></div>
  </form>`;
  const form = $('#hh-new', view);
  const key = `new:${grid}`;
  const draft = await draftOf(key);
  if (draft) {
    restore(form, draft.form);
    $('#draft-state', form).textContent = t('draftSavedAt', { t: shortTime(draft.saved_at) });
    toast(t('formDraftResumed', { t: shortTime(draft.saved_at) }));
  }
  wireChoices(form);
  wireMembers(form);
  const state = { dirty: Boolean(draft), saved: false };
  const kept = wireHouseholdDraft(form, key, state);
  form.onsubmit = async (event) => {
    event.preventDefault();
    clearErrors(form);
    const own = (name) => typed($(`#hh-fields [name=${name}]`, form));
    const doc = {
      _id: newHouseholdId(grid), building: own('building'), unit: own('unit'), room: own('room'),
      head: own('head'), phone: own('phone'), address: own('address'),
      colour: chosen($('#hh-fields [data-name=colour]', form)), colour_reason: own('colour_reason'),
      members: $$('.member-edit', form).map((b, i) => readMember(b, null, i)),
    };
    const errors = await addHousehold(grid, doc);
    if (errors.length) { showErrors(form, errors); return; }
    await kept.done();
    toast(t('householdAdded'));
    location.hash = link('hh', doc._id);
  };
  return null;
}
