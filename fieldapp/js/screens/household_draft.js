// The household forms (edit, new) as drafts: every input and choice read off
// the form as it stands, put back onto a freshly drawn form, kept a moment
// after each change and asked about before leaving unsaved (form_draft.js).

import { t } from '../i18n.js';
import { $, $$, chosen } from '../ui.js';
import { wireFormDraft } from './form_draft.js';
import { memberBlock } from './household_members.js';

const inputs = (root) => Object.fromEntries($$('input[name], textarea[name]', root)
  .map((el) => [el.name, el.value]));
const picks = (root) => Object.fromEntries($$('[data-name]', root)
  .map((group) => [group.dataset.name, chosen(group)]));

const press = (group, values) => {
  const want = new Set([].concat(values ?? []));
  $$('.choice', group).forEach((b) => b.setAttribute('aria-pressed', String(want.has(b.dataset.value))));
};

function fill(root, state) {
  for (const [name, value] of Object.entries(state.fields || {})) {
    const el = $(`[name="${CSS.escape(name)}"]`, root);
    if (el) el.value = value;
  }
  for (const [name, value] of Object.entries(state.choices || {})) {
    const group = $(`[data-name="${CSS.escape(name)}"]`, root);
    if (group) press(group, value);
  }
}

/** The form's state: {fields, choices, members: [{id, added, fields, choices}]} (raw text). */
export function snapshot(form) {
  const own = $('#hh-fields', form);
  return {
    fields: inputs(own),
    choices: picks(own),
    members: $$('.member-edit', form).map((b) => ({
      id: b.dataset.member, added: Boolean($('.remove-member', b)), fields: inputs(b), choices: picks(b),
    })),
  };
}

/** Put draft d back onto form: household fields, then members (added ones drawn again). */
export function restore(form, d) {
  fill($('#hh-fields', form), d);
  for (const m of d.members || []) {
    let block = $(`.member-edit[data-member="${CSS.escape(m.id)}"]`, form);
    if (!block && m.added) {
      $('#members', form).insertAdjacentHTML('beforeend', memberBlock({ id: m.id, tags: [] }, true));
      block = $('#members', form).lastElementChild;
    }
    if (block) fill(block, m);
  }
}

/** Keep a household form as the draft under key (with extra, e.g. the household as editing began). */
export const wireHouseholdDraft = (form, key, state, extra = {}) =>
  wireFormDraft(form, key, state, () => ({ ...snapshot(form), ...extra }), t('leaveFormDraft'));
