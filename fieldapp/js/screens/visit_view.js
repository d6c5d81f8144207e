// One visit, read-only (visits are immutable once submitted), with the early
// warnings decided on it; a visit the server refused says so, with the
// server's reason.

import { session } from '../api.js';
import { serviceLabel } from './visit_parts.js';
import { db } from '../db.js';
import { t, v } from '../i18n.js';
import { refusedDocs } from '../outbox.js';
import { explain } from '../refusal.js';
import { link } from '../router.js';
import { amendmentOf, index, visitSummary } from '../store.js';
import { badge, esc, setTitle, shortTime } from '../ui.js';

const line = (label, value) => (value === undefined || value === null || value === ''
  ? '' : `<div class="kv"><span class="muted">${esc(label)}</span><span>${value}</span></div>`);

function checkHtml(c, names) {
  const parts = [
    c.temperature !== undefined ? `${esc(c.temperature)} °C` : '',
    c.bp_systolic !== undefined ? `${esc(c.bp_systolic)}/${esc(c.bp_diastolic ?? '–')} mmHg` : '',
    c.spo2 !== undefined ? `SpO2 ${esc(c.spo2)}%` : '',
    c.antigen ? `${esc(t('antigen'))} ${esc(v(c.antigen))}` : '',
    (c.symptoms || []).map((s) => esc(v(s))).join(esc(t('listSep'))),
    c.medication_on_hand === undefined ? '' : `${esc(t('medication'))}${esc(t('colon'))}${esc(c.medication_on_hand ? t('yes') : t('no'))}`,
  ].filter(Boolean);
  return `<li><strong>${esc(names.get(c.member) || c.member)}</strong> ${parts.join(' · ')}</li>`;
}

// The warnings the rules raised on the visit and what the worker decided.
function warningsHtml(visit, names) {
  const items = (visit.warnings || []).map((w) => `<li class="warning ${w.decision === 'accepted' ? 'decided' : ''}"
      data-warning="${esc(w.rule)}" data-decision="${esc(w.decision)}">
    <strong>${esc(w.member ? names.get(w.member) || w.member : t('thisHousehold'))}</strong> ${badge(w.colour)}
    ${w.referral ? `<span class="pill pill-warn">${esc(t('suggestReferral', { r: v(w.referral) }))}</span>` : ''}
    <p class="warn-reason">${esc(w.reason)}</p>
    <strong>${esc(w.decision === 'accepted' ? t('decisionAccepted') : t('decisionOverridden'))}</strong>
    ${w.override_reason ? `<span>${esc(t('colon'))}${esc(w.override_reason)}</span>` : ''}</li>`);
  if (!items.length) return '';
  const version = visit.rules_version ? ` <span class="muted">${esc(t('rulesVersion', { n: visit.rules_version }))}</span>` : '';
  return `<section class="card" id="visit-warnings"><h2>${esc(t('warnings'))}${version}</h2>
    <ul class="warn-list">${items.join('')}</ul></section>`;
}

// Under a "needs fix" review: closed, amended already (a link), or the way to amend it.
function sentBackLine(visit, verdict) {
  if (verdict.state !== 'needs_fix') return '';
  if (verdict.closed_by) return `<p class="ok" id="review-closed">✓ ${esc(t('reviewClosed'))}</p>`;
  const amendment = amendmentOf(visit._id);
  if (amendment) {
    return `<p><a href="${link('visit', amendment._id)}" id="amended">${esc(t('amendedAt', { d: shortTime(amendment.visited_at) }))}</a></p>`;
  }
  return visit.worker === session()?.user?.name
    ? `<a class="btn btn-primary btn-big" id="amend" href="${link('visit', visit._id, 'amend')}">${esc(t('amendVisit'))}</a>` : '';
}

/** The visit page. */
export async function visitView(view, { id }) {
  let visit;
  try { visit = await db().get(id, { attachments: false }); } catch { location.hash = '#/'; return null; }
  const hh = index.households.get(visit.household);
  setTitle(t('visitOn', { d: shortTime(visit.visited_at) }), link('hh', visit.household));
  const names = new Map((hh?.members || []).filter(Boolean).map((m) => [m.id, m.name]));
  const standing = refusedDocs()[id];
  const refused = standing && standing.rev === visit._rev ? standing : null;
  const words = refused ? explain(visit, refused.reason).map((p) => p.text).join(t('clauseSep')) : '';
  const verdict = index.reviews.get(id);
  view.innerHTML = `${refused ? `<div class="errors" data-refused-reason>${esc(t('refusedBanner', { r: words }))}
      <a class="btn" href="${link('refused', id)}" id="open-refused">${esc(t('fixRefused'))}</a></div>` : ''}
    ${verdict ? `<div class="card review-card review-${esc(verdict.state)}" data-review="${esc(verdict.state)}">
      <strong>${esc(t('review'))}${esc(t('colon'))}${esc(v(verdict.state))}</strong>
      ${verdict.comment ? `<p>${esc(verdict.comment)}</p>` : ''}
      <span class="muted">${esc(verdict.reviewer || '')} ${verdict.reviewed_at ? esc(shortTime(verdict.reviewed_at)) : ''}</span>
      ${sentBackLine(visit, verdict)}</div>` : ''}
    ${visit.supersedes ? `<p class="card" id="amends"><a href="${link('visit', visit.supersedes)}">${esc(t('amendsVisit', {
    d: shortTime(visitSummary(visit.supersedes)?.visited_at || visit.visited_at) }))}</a></p>` : ''}
    <section class="card" data-visit="${esc(id)}">
      ${line(t('channel'), esc(v(visit.channel || 'door')))}
      ${line(t('outcome'), esc(v(visit.outcome)))}
      ${line(t('worker'), esc(visit.worker))}
      ${line(t('colourAfter'), badge(visit.colour_after))}
      ${line(t('reason'), esc(visit.colour_reason))}
      ${line(t('followUpOn'), esc(visit.follow_up_on))}
      ${line(t('services'), esc((visit.services || []).map(serviceLabel).join(t('listSep'))))}
      ${line(t('notes'), esc(visit.notes))}
      ${line(t('status'), esc(v(visit.status)))}
    </section>
    ${warningsHtml(visit, names)}
    ${(visit.checks || []).length ? `<section class="card"><h2>${esc(t('checks'))}</h2><ul>${visit.checks.map((c) => checkHtml(c, names)).join('')}</ul></section>` : ''}
    ${(visit.needs || []).length ? `<section class="card"><h2>${esc(t('needs'))}</h2><ul>${visit.needs.map((n) =>
    `<li><span class="pill">${esc(v(n.kind))}</span> ${esc(n.detail || '')} <span class="muted">${esc(v(n.urgency || ''))}</span></li>`).join('')}</ul></section>` : ''}
    <div id="photos"></div>`;
  for (const name of Object.keys(visit._attachments || {})) {
    try {
      const blob = await db().getAttachment(id, name);
      const img = document.createElement('img');
      img.className = 'photo';
      img.alt = name;
      img.src = URL.createObjectURL(blob);
      view.querySelector('#photos').append(img);
    } catch { /* a stub not yet fetched */ }
  }
  // Read-only, so a review or a correction that sync brings redraws it at once.
  return { refresh: () => visitView(view, { id }) };
}
