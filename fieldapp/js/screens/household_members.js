// The members of a household on its forms (edit and new): each member's
// block, read back field by field, added and removed. Shared by the forms and
// their drafts, so neither imports the other.

import { showFieldErrors } from '../formerrors.js';
import { t, v } from '../i18n.js';
import { normalise, problem } from '../rules/idnumber.js';
import { GENDERS, MEMBER_STATUSES, TAGS } from '../rules/schema/docs.js';
import { render } from '../rules/schema/messages.js';
import { $, $$, choices, chosen, esc, uuid } from '../ui.js';

/** A member's block on a household form. */
export function memberBlock(m, removable = false) {
  return `<fieldset class="member-edit card" data-member="${esc(m.id)}">
    <div class="grid-3">
      <label data-field="name">${esc(t('memberName'))}<input name="name" value="${esc(m.name || '')}"></label>
      <label data-field="birth_year">${esc(t('birthYear'))}<input name="birth_year" inputmode="numeric" value="${esc(m.birth_year ?? '')}"></label>
      <div data-field="gender"><span class="label">${esc(t('gender'))}</span>${choices('gender', GENDERS.map((g) => [g, v(g)]), m.gender)}</div>
    </div>
    <label data-field="id_number">${esc(t('idNumber'))}<input name="id_number" value="${esc(m.id_number || '')}"
      autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="24"></label>
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
  const idNumber = normalise($('[name=id_number]', block).value);
  if (idNumber) m.id_number = idNumber; else delete m.id_number;
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

// The ID number checked as the worker leaves it, with the rules the save
// uses (the server's messages); a birth year that differs from the number's
// is a warning, not an error: an older resident's registered birth date often
// differs from the year they give, and the age rules read birth_year.
function checkIdNumber(block, i) {
  const anchor = $('[data-field=id_number]', block);
  const path = `members[${i}].id_number`;
  anchor.dataset.path = path;
  $$('.field-warning', anchor).forEach((el) => el.remove());
  const number = normalise($('[name=id_number]', anchor).value);
  const rule = number ? problem(number, Date.now()) : null;
  if (rule) {
    const [zh, en] = render(['members', 'id_number'], rule, rule === 'format' ? { kind: 'id_number' } : {});
    showFieldErrors(anchor, path, [{ field: path, rule, zh, en }]);
    return;
  }
  showFieldErrors(anchor, path, []);
  const given = $('[name=birth_year]', block).value.trim();
  if (number && /^\d{4}$/.test(given) && given !== number.slice(6, 10)) {
    anchor.insertAdjacentHTML('beforeend', `<p class="hint field-warning" data-id-birth-year role="status">${
      esc(t('idBirthYear', { id: number.slice(6, 10), given }))}</p>`);
  }
}

/** Add and remove member blocks on a household form; check ID numbers as they are left. */
export function wireMembers(form) {
  form.addEventListener('focusout', (event) => {
    if (!event.target.matches?.('[name=id_number], [name=birth_year]')) return;
    const block = event.target.closest('.member-edit');
    if (block) checkIdNumber(block, $$('.member-edit', form).indexOf(block));
  });
  form.addEventListener('input', (event) => {
    const anchor = event.target.closest?.('[data-field=id_number]');
    if (anchor?.classList.contains('invalid')) showFieldErrors(anchor, anchor.dataset.path, []);
  });
  $('#add-member', form).onclick = () => {
    $('#members', form).insertAdjacentHTML('beforeend', memberBlock({ id: `m-${uuid().slice(0, 13)}`, tags: [] }, true));
    $('#members', form).lastElementChild.querySelector('input').focus();
  };
  form.addEventListener('click', (event) => {
    if (event.target.closest('.remove-member')) event.target.closest('.member-edit').remove();
  });
}
