// The new-visit form as a draft: everything typed or pressed, read off the
// form as it stands (raw text, so a half-typed reading comes back as typed)
// and put back onto a freshly drawn form. drafts.js keeps it.

import { $, $$, chosen } from '../ui.js';
import { addService, needBlock, wireNeed } from './visit_parts.js';

const READINGS = ['temperature', 'bp_systolic', 'bp_diastolic', 'spo2'];

const press = (group, values) => {
  const want = new Set([].concat(values ?? []));
  $$('.choice', group).forEach((b) => b.setAttribute('aria-pressed', String(want.has(b.dataset.value))));
};

/** The form's state: {outcome, checks, needs, services, colour_after, …, photo, warnings}. */
export function snapshot(form, photo, decided) {
  return {
    channel: chosen($('[data-name=channel]', form)),
    outcome: chosen($('[data-name=outcome]', form)),
    checks: $$('.check', form).map((b) => ({
      member: b.dataset.member,
      include: $('.include', b).checked,
      readings: Object.fromEntries(READINGS.map((n) => [n, $(`[name=${n}]`, b).value])),
      symptoms: chosen($('[data-name=symptoms]', b)),
      antigen: chosen($('[data-name=antigen]', b)),
      medication_on_hand: chosen($('[data-name=medication_on_hand]', b)),
    })),
    needs: $$('.need', form).map((b) => ({
      kind: chosen($('[data-name=kind]', b)), detail: $('[name=detail]', b).value,
      urgency: chosen($('[data-name=urgency]', b)), request: $('[name=request]', b).checked,
      sla: chosen($('[data-name=sla]', b)), sla_touched: Boolean($('.sla', b).dataset.touched),
    })),
    services: chosen($('[data-name=services]', form)),
    other_service: $('#other-service', form).value,
    colour_after: chosen($('[data-name=colour_after]', form)),
    colour_reason: form.colour_reason.value,
    follow_up_on: form.follow_up_on.value,
    notes: form.notes.value,
    photo: photo || null,
    warnings: decided,
  };
}

/** Put draft d back onto form (before it is wired; warnings are restored after). */
export function restore(form, d) {
  if (d.channel) press($('[data-name=channel]', form), d.channel);
  $('#remote-note', form).hidden = (d.channel || 'door') === 'door';
  if (d.outcome) press($('[data-name=outcome]', form), d.outcome);
  $('#checks', form).hidden = (d.outcome || 'met') !== 'met';
  for (const c of d.checks || []) {
    const b = $(`.check[data-member="${CSS.escape(c.member)}"]`, form);
    if (!b) continue;                                  // the member left the household meanwhile
    $('.include', b).checked = c.include;
    b.classList.toggle('off', !c.include);
    for (const n of READINGS) $(`[name=${n}]`, b).value = c.readings?.[n] ?? '';
    press($('[data-name=symptoms]', b), c.symptoms);
    press($('[data-name=antigen]', b), c.antigen);
    press($('[data-name=medication_on_hand]', b), c.medication_on_hand);
  }
  for (const n of d.needs || []) {
    $('#needs', form).insertAdjacentHTML('beforeend', needBlock());
    const b = $('#needs', form).lastElementChild;
    wireNeed(b);
    press($('[data-name=kind]', b), n.kind);
    $('[name=detail]', b).value = n.detail || '';
    press($('[data-name=urgency]', b), n.urgency);
    $('[name=request]', b).checked = Boolean(n.request);
    $('.sla', b).hidden = !n.request;
    press($('[data-name=sla]', b), n.sla);
    if (n.sla_touched) $('.sla', b).dataset.touched = '1';
  }
  const group = $('[data-name=services]', form);
  const presets = new Set($$('.choice', group).map((b) => b.dataset.value));
  for (const own of (d.services || []).filter((s) => !presets.has(s))) {
    $('#other-service', form).value = own;
    addService(form);
  }
  press(group, d.services);
  $('#other-service', form).value = d.other_service || '';
  if (d.colour_after) press($('[data-name=colour_after]', form), d.colour_after);
  form.colour_reason.value = d.colour_reason ?? form.colour_reason.value;
  form.follow_up_on.value = d.follow_up_on || '';
  form.notes.value = d.notes || '';
}

/** A stored visit as the form's state (to correct a refused one); photo is {data} or null. */
export function formOfVisit(visit, hh, photo = null) {
  const checks = new Map((visit.checks || []).map((c) => [c.member, c]));
  const text = (x) => (x === undefined || x === null ? '' : String(x));
  return {
    channel: visit.channel || 'door',
    outcome: visit.outcome,
    checks: (hh.members || []).filter(Boolean).map((m) => {
      const c = checks.get(m.id);
      return {
        member: m.id, include: Boolean(c),
        readings: Object.fromEntries(READINGS.map((n) => [n, text(c?.[n])])),
        symptoms: c?.symptoms || [], antigen: c?.antigen ?? null,
        medication_on_hand: c?.medication_on_hand === undefined ? null : String(c.medication_on_hand),
      };
    }),
    needs: (visit.needs || []).map((n) => ({ ...n, request: false })),
    services: visit.services || [],
    colour_after: visit.colour_after,
    colour_reason: visit.colour_reason || '',
    follow_up_on: visit.follow_up_on || '',
    notes: visit.notes || '',
    photo,
    warnings: (visit.warnings || []).map((w) => ({
      key: `${w.rule}|${w.member ?? ''}`, decision: w.decision, why: w.override_reason || '',
    })),
  };
}
