// A campaign's questions filled in: inside a targeted household, or on their
// own for a phone or WeChat contact. The form version is drawn by ODK Web
// Forms offline (campaign_engine.js), which checks each answer as it is given;
// what is entered is kept as a draft on every change (form_draft.js) and
// resumed from 待办 or the household page; saving writes one answer:*
// document tied to the form version, never changed afterwards (records.js).

import { campaignDoc, formDoc, isOpen } from '../campaigns.js';
import { mountForm, valuesOf } from '../campaign_engine.js';
import { answerKey, draftOf } from '../drafts.js';
import { currentLang, t, v } from '../i18n.js';
import { showErrors } from '../formerrors.js';
import { saveAnswer } from '../records.js';
import { link } from '../router.js';
import { index } from '../store.js';
import { $, badge, choices, chosen, esc, setTitle, shortTime, toast, wireChoices } from '../ui.js';
import { wireFormDraft } from './form_draft.js';

const ALL_CHANNELS = ['door', 'phone', 'wechat'];

function who(household, grid) {
  if (household) {
    return `${badge(household.colour)} <strong>${esc(`${household.building} ${household.unit || ''} ${household.room}`)}</strong>
      <span class="muted">${esc(household.head || '')}</span>`;
  }
  return `<strong>${esc(index.grids.get(grid)?.name || grid)}</strong> <span class="muted">${esc(t('contactAnswer'))}</span>`;
}

/** The campaign form: #/campaign/{id}/hh/{household} or #/campaign/{id}/contact/{grid}. */
export async function campaignForm(view, { id, hh = null, grid = null }) {
  const campaign = campaignDoc(id);
  const household = hh ? index.households.get(hh) : null;
  const back = household ? link('hh', hh) : '#/todo';
  setTitle(campaign?.name || t('campaigns'), back);
  const where = household ? household.grid : grid;
  if (!campaign || !isOpen(campaign) || (hh && !household) || !index.grids.has(where)) {
    view.innerHTML = `<p class="empty" id="campaign-closed">${esc(t('campaignClosed'))}</p>`;
    return null;
  }
  const key = answerKey(id, household ? hh : `contact:${grid}`);
  const draft = await draftOf(key);
  // A draft begun on an earlier form version is finished on that version.
  const form = (draft?.form.formId && formDoc(draft.form.formId)) || formDoc(campaign.form);
  const offered = campaign.channels?.length ? campaign.channels : ALL_CHANNELS;
  const channel = draft?.form.channel || (household && offered.includes('door') ? 'door'
    : offered.find((c) => c !== 'door') || offered[0]);
  view.innerHTML = `<form class="form campaign-form" id="campaign-form" data-campaign="${esc(id)}" data-form="${esc(form._id)}" novalidate>
    <div id="errors" class="errors" role="alert" hidden></div>
    <section class="card">
      <div class="row between wrap"><span>${who(household, where)}</span>
        <span class="muted" data-form-version>${esc(t('formVersion', { n: form._id.split(':').pop() }))}</span></div>
      <div data-path="channel"><span class="label">${esc(t('answerChannel'))}</span>
        ${choices('channel', offered.map((c) => [c, v(c)]), channel, { required: true })}</div>
      <p class="muted" id="draft-state"></p>
    </section>
    <div id="engine-host" class="engine-host"><p class="loading">${esc(t('loading'))}</p></div>
    <p class="field-error" id="answer-errors" role="alert" hidden></p>
    <div class="actions"><a class="btn btn-big" href="${back}">${esc(t('cancel'))}</a>
      <button type="submit" class="btn btn-primary btn-big" id="save-answer">${esc(t('saveAnswer'))}</button></div>
  </form>`;
  const el = $('#campaign-form', view);
  wireChoices(el);
  let engine;
  try {
    engine = await mountForm($('#engine-host', el), form, { xml: draft?.form.xml || null, lang: currentLang() });
  } catch (err) {
    $('#engine-host', el).innerHTML = `<p class="empty" id="form-failed">${esc(t('formFailed', { e: err.message }))}</p>`;
    return null;
  }
  if (draft) {
    $('#draft-state', el).textContent = t('draftSavedAt', { t: shortTime(draft.saved_at) });
    toast(t('answerResumed', { t: shortTime(draft.saved_at) }));
  }
  const state = { dirty: Boolean(draft), saved: false };
  const read = () => ({ formId: form._id, channel: chosen($('[data-name=channel]', el)), xml: engine.xml() });
  const kept = wireFormDraft(el, key, state, read, t('leaveAnswerDraft'));
  el.onsubmit = async (event) => {
    event.preventDefault();
    if (event.submitter?.id !== 'save-answer') return;       // Enter in a text answer saves nothing
    const problems = $('#answer-errors', el);
    const xml = await engine.submit();
    if (!xml) {
      problems.textContent = t('answerErrors', { n: engine.violations() });
      problems.hidden = false;
      return;
    }
    problems.hidden = true;
    const errors = await saveAnswer({
      campaign: id, form: form._id, household: household ? hh : null, grid: where,
      channel: chosen($('[data-name=channel]', el)), values: valuesOf(xml, form),
    });
    if (errors.length) { showErrors(el, errors); return; }
    await kept.done();
    toast(t('answerSaved'));
    location.hash = back;
  };
  return null;
}
