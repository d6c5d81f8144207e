// Pieces of the new-visit form: a member's health check (with room for its
// early warnings), a need, services.
// Each piece renders HTML and reads itself back; field paths (data-path)
// are set when read, so errors land next to the right input.

import { currentLang, t, v } from '../i18n.js';
import { defaultSla } from '../records.js';
import { ANTIGEN, NEED_KINDS, SLAS, SYMPTOMS, URGENCIES } from '../rules/schema/docs.js';
import { $, $$, choices, chosen, esc } from '../ui.js';
import { memberWarnings } from './visit_warnings.js';

// The presets are stored in Chinese (the records' language); shown in the worker's.
export const SERVICE_PRESETS = ['测量体温', '测量血压', '测量血氧', '送药上门', '代购生活物资',
  '协助预约就医', '联系家庭医生', '心理疏导', '政策宣传'];
const SERVICE_EN = {
  测量体温: 'Temperature taken', 测量血压: 'Blood pressure taken', 测量血氧: 'SpO2 taken',
  送药上门: 'Medicine delivered', 代购生活物资: 'Groceries bought', 协助预约就医: 'Doctor booked',
  联系家庭医生: 'Family doctor called', 心理疏导: 'Counselling', 政策宣传: 'Policy explained',
};

/** A service as the worker reads it (a preset in English when the app is). */
export const serviceLabel = (s) => (currentLang() === 'en' && SERVICE_EN[s]) || s;

const num = (input) => {
  const text = input.value.trim();
  if (!text) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;              // the validator names a non-number
};

const field = (name, label, attrs = '') =>
  `<label data-field="${name}">${esc(label)}<input name="${name}" inputmode="decimal" ${attrs}></label>`;

/** A member's check block; on by default for key-population members. */
export function checkBlock(m) {
  const on = (m.tags || []).length > 0;
  return `<fieldset class="check card ${on ? '' : 'off'}" data-member="${esc(m.id)}">
    <legend><label class="switch"><input type="checkbox" class="include" ${on ? 'checked' : ''}>
      <strong>${esc(m.name)}</strong></label>
      ${(m.tags || []).map((tag) => `<span class="tag">${esc(v(tag))}</span>`).join('')}</legend>
    <div class="check-body">
      <div class="grid-4">${field('temperature', t('temperature'))}${field('bp_systolic', t('systolic'))}
        ${field('bp_diastolic', t('diastolic'))}${field('spo2', t('spo2'))}</div>
      ${memberWarnings()}
      <div data-field="symptoms"><span class="label">${esc(t('symptoms'))}</span>
        ${choices('symptoms', SYMPTOMS.map((s) => [s, v(s)]), [], { multi: true })}</div>
      <div class="grid-2">
        <div data-field="antigen"><span class="label">${esc(t('antigen'))}</span>
          ${choices('antigen', ANTIGEN.map((a) => [a, v(a)]), null)}</div>
        <div data-field="medication_on_hand"><span class="label">${esc(t('medication'))}</span>
          ${choices('medication_on_hand', [['true', t('yes')], ['false', t('no')]], null)}</div>
      </div>
    </div></fieldset>`;
}

/** The check of one block (null when the member is not checked), paths set for index i. */
export function readCheck(block, i) {
  if (!$('.include', block).checked) return null;
  block.dataset.path = `checks[${i}]`;
  $$('[data-field]', block).forEach((el) => { el.dataset.path = `checks[${i}].${el.dataset.field}`; });
  const check = { member: block.dataset.member };
  for (const name of ['temperature', 'bp_systolic', 'bp_diastolic', 'spo2']) {
    const value = num($(`[name=${name}]`, block));
    if (value !== undefined) check[name] = value;
  }
  const symptoms = chosen($('[data-name=symptoms]', block));
  if (symptoms.length) check.symptoms = symptoms;
  const antigen = chosen($('[data-name=antigen]', block));
  if (antigen) check.antigen = antigen;
  const med = chosen($('[data-name=medication_on_hand]', block));
  if (med) check.medication_on_hand = med === 'true';
  return check;
}

/** An empty need block. */
export function needBlock() {
  return `<fieldset class="need card">
    <div data-field="kind"><span class="label">${esc(t('needs'))}</span>
      ${choices('kind', NEED_KINDS.map((k) => [k, v(k)]), null)}</div>
    <label data-field="detail">${esc(t('detail'))}<input name="detail"></label>
    <div data-field="urgency"><span class="label">${esc(t('urgency'))}</span>
      ${choices('urgency', URGENCIES.map((u) => [u, v(u)]), 'normal')}</div>
    <div class="row wrap"><label class="switch"><input type="checkbox" name="request"> ${esc(t('raiseRequest'))}</label>
      <div class="sla" hidden>${choices('sla', SLAS.map((s) => [s, v(s)]), 'plan_2d')}</div>
      <button type="button" class="btn btn-small remove-need">${esc(t('remove'))}</button></div>
  </fieldset>`;
}

/** A need from its block, paths set for index i. */
export function readNeed(block, i) {
  block.dataset.path = `needs[${i}]`;
  $$('[data-field]', block).forEach((el) => { el.dataset.path = `needs[${i}].${el.dataset.field}`; });
  const request = $('[name=request]', block).checked;
  return {
    kind: chosen($('[data-name=kind]', block)), detail: $('[name=detail]', block).value.trim(),
    urgency: chosen($('[data-name=urgency]', block)), request,
    sla: request ? chosen($('[data-name=sla]', block)) : null,
  };
}

/** Keep a need's SLA in step with its urgency until the worker picks one. */
export function wireNeed(block) {
  const sla = $('.sla', block);
  $('[name=request]', block).addEventListener('change', (e) => { sla.hidden = !e.target.checked; });
  $('[data-name=urgency]', block).addEventListener('click', () => setTimeout(() => {
    if (sla.dataset.touched) return;             // after the group has toggled
    const want = defaultSla(chosen($('[data-name=urgency]', block)));
    $$('.choice', sla).forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.value === want)));
  }));
  sla.addEventListener('click', () => { sla.dataset.touched = '1'; });
}

/** The services block: presets and the worker's own. */
export function servicesBlock() {
  return `<div data-path="services">${choices('services', SERVICE_PRESETS.map((s) => [s, serviceLabel(s)]), [], { multi: true })}
    <div class="row"><input id="other-service" placeholder="${esc(t('otherService'))}">
    <button type="button" class="btn" id="add-service">${esc(t('addService'))}</button></div></div>`;
}

/** Add a service of the worker's own as a pressed chip. */
export function addService(root) {
  const input = $('#other-service', root);
  const text = input.value.trim();
  if (!text) return;
  const group = $('[data-name=services]', root);
  group.insertAdjacentHTML('beforeend',
    `<button type="button" class="choice" data-value="${esc(text)}" aria-pressed="true">${esc(text)}</button>`);
  input.value = '';
}
