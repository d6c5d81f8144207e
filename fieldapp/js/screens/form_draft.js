// A form kept as a draft while it is filled in: saved a moment after each
// change (drafts.js), at once when the app is hidden or closed (a killed app
// gets no later chance), and asked about before the worker leaves it unsaved.
// The visit form and the household forms share it.

import { dropDraft, keepDraft } from '../drafts.js';
import { t } from '../i18n.js';
import { guardLeaving } from '../router.js';
import { $, askDialog, shortTime } from '../ui.js';

let flushDraft = () => {};
window.addEventListener('pagehide', () => flushDraft());
document.addEventListener('visibilitychange', () => flushDraft());

/**
 * Keep form as the draft under key: read() gives what to keep; leaveText is
 * the question asked on leaving it unsaved. state = {dirty, saved}; the caller
 * sets saved before it leaves. Returns {keep, flush, done}.
 */
export function wireFormDraft(form, key, state, read, leaveText) {
  let timer = null;
  const keep = () => {
    clearTimeout(timer);
    timer = null;
    if (state.saved) return null;
    state.dirty = true;
    $('#draft-state', form).textContent = t('draftSavedAt', { t: shortTime(new Date().toISOString()) });
    return keepDraft(key, read());
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
      text: leaveText,
      answers: [['stay', t('stayOnForm'), ''], ['discard', t('discardDraft'), 'btn-danger'],
        ['keep', t('keepDraftLeave'), 'btn-primary']],
    });
    if (answer === 'discard') await dropDraft(key);
    return answer !== 'stay';
  });
  return { keep, flush, async done() { clearTimeout(timer); timer = null; state.saved = true; await dropDraft(key); } };
}
