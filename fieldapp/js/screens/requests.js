// A household's requests and referrals on the tablet: each with its status
// and the next step the worker can take — a referral goes referred → accepted
// → seen → closed, any request can be closed — and, on closing, the
// resident's satisfaction. Every change is a stamped edit (records.js).

import { msg, t, v } from '../i18n.js';
import { moveRequest } from '../records.js';
import { SATISFACTION, statusesFor } from '../rules/schema/docs.js';
import { requestsOf } from '../store.js';
import { $, $$, choices, chosen, esc, shortTime, toast, wireChoices } from '../ui.js';

const stepButton = (r, status, primary = false) =>
  `<button type="button" class="btn ${primary ? 'btn-primary' : ''} req-step" data-request="${esc(r._id)}"
    data-to="${esc(status)}">${esc(status === 'closed' ? t('closeRequest') : t('nextStatus', { s: v(status) }))}</button>`;

// The steps open to the worker: a referral's next status (and closing early), else closing.
function steps(r) {
  if (r.status === 'closed') return '';
  const flow = statusesFor(r.kind);
  const next = r.kind === 'referral' ? flow[Math.max(0, flow.indexOf(r.status)) + 1] : null;
  const buttons = next && next !== 'closed' ? [stepButton(r, next, true), stepButton(r, 'closed')]
    : [stepButton(r, 'closed', true)];
  return `<div class="row wrap req-steps">${buttons.join('')}</div>`;
}

function row(r) {
  const referral = r.kind === 'referral' && r.target
    ? `<span class="pill pill-warn">${esc(t('referralTo', { r: r.target_name || v(r.target) }))}</span>` : '';
  const since = r.status_times?.[r.status];
  const answer = r.satisfaction ? `<span class="pill satisfaction-${esc(r.satisfaction)}" data-satisfaction="${esc(r.satisfaction)}">${esc(v(r.satisfaction))}</span>
    ${r.satisfaction_comment ? `<span class="muted">“${esc(r.satisfaction_comment)}”</span>` : ''}` : '';
  return `<li class="request" data-request="${esc(r._id)}" data-kind="${esc(r.kind)}" data-status="${esc(r.status)}">
    <span class="pill">${esc(v(r.kind))}</span>${referral}<span>${esc(r.detail)}</span>
    ${r.kind === 'referral' ? '' : `<span class="pill pill-warn">${esc(v(r.sla))}</span>`}
    <span class="pill req-status">${esc(r.status === 'closed' ? t('closedRequests') : v(r.status))}${since ? ` ${esc(shortTime(since))}` : ''}</span>
    <span class="muted">${esc(v(r.urgency))}</span>${answer}${steps(r)}</li>`;
}

/** The requests section of household hhId: open ones with their steps, then closed ones. */
export function requestsSection(hhId) {
  const all = requestsOf(hhId);
  const open = all.filter((r) => r.status !== 'closed');
  const closed = all.filter((r) => r.status === 'closed');
  return `<section class="card" id="requests"><h2>${esc(t('openRequests'))} (${open.length})</h2>
      <ul class="requests">${open.map(row).join('') || `<li class="muted">${esc(t('noRequests'))}</li>`}</ul>
      ${closed.length ? `<h2>${esc(t('closedRequests'))} (${closed.length})</h2>
        <ul class="requests" id="closed-requests">${closed.map(row).join('')}</ul>` : ''}</section>`;
}

// Ask the resident's satisfaction; resolves {satisfaction, comment} or null (cancelled).
function askSatisfaction() {
  const box = $('#dialog');
  box.innerHTML = `<div class="dialog-card satisfaction" role="dialog" aria-modal="true">
      <p><strong>${esc(t('satisfactionAsk'))}</strong></p>
      ${choices('satisfaction', SATISFACTION.map((s) => [s, v(s)]), null, { cls: 'big-choice' })}
      <label>${esc(t('satisfactionComment'))}<textarea name="satisfaction_comment" rows="2" maxlength="500"></textarea></label>
      <p class="error" id="satisfaction-error" hidden>${esc(t('satisfactionNeeded'))}</p>
      <div class="row end"><button type="button" class="btn btn-big" data-answer="no">${esc(t('cancel'))}</button>
      <button type="button" class="btn btn-primary btn-big" data-answer="yes">${esc(t('confirmClose'))}</button></div>
    </div>`;
  box.hidden = false;
  const card = $('.dialog-card', box);
  wireChoices(card, () => { $('#satisfaction-error', card).hidden = true; });
  return new Promise((resolve) => {
    box.onclick = (event) => {
      const answer = event.target.closest('[data-answer]')?.dataset.answer;
      if (!answer) return;
      const satisfaction = chosen($('[data-name=satisfaction]', card));
      if (answer === 'yes' && !satisfaction) { $('#satisfaction-error', card).hidden = false; return; }
      const comment = $('textarea', card).value.trim();
      box.hidden = true;
      box.innerHTML = '';
      resolve(answer === 'yes' ? { satisfaction, comment } : null);
    };
  });
}

/** Make the step buttons under root (the requests section) work. */
export function wireRequests(root) {
  root.addEventListener('click', async (event) => {
    const button = event.target.closest('.req-step');
    if (!button) return;
    const status = button.dataset.to;
    const answer = status === 'closed' ? await askSatisfaction() : null;
    if (status === 'closed' && !answer) return;
    $$('.req-step', root).forEach((b) => { b.disabled = true; });
    try {
      const errors = await moveRequest(button.dataset.request, status, answer);
      toast(errors.length ? errors.map((e) => `${e.field}: ${msg(e)}`).join('; ') : t('statusSaved'),
        errors.length ? 'bad' : 'ok');
    } finally {
      $$('.req-step', root).forEach((b) => { b.disabled = false; });
    }
  });
}
