// answer:{grid}:{uuid} — one household's answers to a campaign (摸排答卷): the
// twin of rules/schemas/answer.py. Its values are checked against the form
// version by the form engine on the tablet and by rules/answers.py on the server.

import { documentSchema, parseId, sameGridId } from './base.js';
import { Choice, DateTime, Ext, Text, push, child } from './fields.js';
import { CHANNELS } from '../vocabulary.js';

const kindIs = (kind, fmt) => (v) => (parseId(v)?.[0] === kind ? null : ['format', { kind: fmt }]);

/** The campaign id a form id belongs to, or null (rules.ids.campaign_of_form). */
export function campaignOfForm(formId) {
  if (parseId(formId)?.[0] !== 'form') return null;
  return `campaign:${formId.slice('form:'.length).replace(/:[^:]+$/, '')}`;
}

export const answer = documentSchema({
  campaign: Text({ required: true, min: 1, max: 300, validate: kindIs('campaign', 'campaign_id') }),
  form: Text({ required: true, min: 1, max: 300, validate: kindIs('form', 'form_id') }),
  household: Text({ max: 200, validate: sameGridId('household', 'household_id') }),
  visit: Text({ max: 200, validate: sameGridId('visit', 'visit_id') }),
  channel: Choice(CHANNELS, { required: true }),
  worker: Text({ required: true, min: 1, max: 64 }),
  answered_at: DateTime({ required: true }),
  values: Ext({ required: true }),
}, {
  cross(raw, data, ctx, loc, errs) {
    if (errs.length) return;
    if (campaignOfForm(raw.form) !== raw.campaign) push(errs, child(loc, 'form'), 'format', { kind: 'form_of_campaign' });
  },
});
