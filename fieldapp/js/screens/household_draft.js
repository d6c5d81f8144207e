// The household forms (edit, new) as drafts: every input and choice read off
// the form as it stands, put back onto a freshly drawn form, kept a moment
// after each change (drafts.js) and asked about before leaving unsaved.

import { dropDraft, keepDraft } from '../drafts.js';
import { t } from '../i18n.js';
import { guardLeaving } from '../router.js';
import { $, $$, askDialog, chosen, shortTime } from '../ui.js';
import { memberBlock } from './household_members.js';

let flushDraft = () => {};
window.addEventListener('pagehide', () => flushDraft());
document.addEventListener('visibilitychange', () => flushDraft());

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

/**
 * Keep form as the draft under key a moment after each change (with extra,
 * e.g. the household as it was when editing began); ask before leaving it
 * unsaved. state = {dirty, saved}; the caller sets saved before it leaves.
 */
export function wireFormDraft(form, key, state, extra = {}) {
  let timer = null;
  const keep = () => {
    clearTimeout(timer);
    timer = null;
    if (state.saved) return null;
    state.dirty = true;
    $('#draft-state', form).textContent = t('draftSavedAt', { t: shortTime(new Date().toISOString()) });
    return keepDraft(key, { ...snapshot(form), ...extra });
  };
  const soon = () => { clearTimeout(timer); timer = setTimeout(keep, 250); };
  form.addEventListener('input', soon);
  form.addEventListener('change', soon);
  form.addEventListener('click', (e) => { if (e.target.closest('button:not([type=submit])')) soon(); });
  const flush = () => { if (timer) keep(); };
  flushDraft = flush;
  guardLeaving(async () => {
    flush();
    if (!state.dirty || state.saved) return true;
    const answer = await askDialog({
      text: t('leaveFormDraft'),
      answers: [['stay', t('stayOnForm'), ''], ['discard', t('discardDraft'), 'btn-danger'],
        ['keep', t('keepDraftLeave'), 'btn-primary']],
    });
    if (answer === 'discard') await dropDraft(key);
    return answer !== 'stay';
  });
  return { flush, async done() { clearTimeout(timer); timer = null; state.saved = true; await dropDraft(key); } };
}
