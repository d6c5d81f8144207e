// One household: members with key-population tags, colour and reason, visit
// history, requests and referrals (moved along here), the open campaigns that
// ask about it, and the way to a new visit or an edit.

import { revealable } from '../mask.js';
import { currentLang, t, v } from '../i18n.js';
import { link } from '../router.js';
import { standingRefusals } from '../outbox.js';
import { db } from '../db.js';
import { amendmentOf, dueWarnings, index, visitState } from '../store.js';
import { $, badge, esc, setTitle, shortTime } from '../ui.js';
import { householdCampaigns } from './campaign_list.js';
import { drafts, draftsCard, wireDrafts } from './draft_list.js';
import { mergeNotice } from './merge_notice.js';
import { requestsSection, wireRequests } from './requests.js';

const thisYear = () => new Date().getFullYear();

function member(m) {
  if (!m) return '';
  const age = m.birth_year ? ` · ${t('age', { n: thisYear() - m.birth_year })}` : '';
  const gone = m.status && m.status !== 'present';
  return `<li class="member${gone ? ' member-gone' : ''}" data-member-status="${esc(m.status || 'present')}"><strong>${esc(m.name)}</strong>${gone ? ` <span class="pill">${esc(v(m.status))}</span>` : ''}<span class="muted">${esc(m.gender ? v(m.gender) : '')}${esc(age)}</span>
    ${m.id_number ? `<span class="muted id-number" data-id-number>${esc(t('idNumber'))} ${revealable(m.id_number, 'id')}</span>` : ''}
    ${(m.tags || []).map((tag) => `<span class="tag">${esc(v(tag))}</span>`).join('')}
    ${m.notes ? `<span class="muted note">${esc(m.notes)}</span>` : ''}</li>`;
}

function visitRow(s, refused) {
  const href = refused[s._id] ? link('refused', s._id) : link('visit', s._id);
  return `<a class="visit-row" href="${href}" data-visit="${esc(s._id)}">
    <span>${esc(shortTime(s.visited_at))}</span><span>${s.channel && s.channel !== 'door' ? `<span class="pill" data-channel="${esc(s.channel)}">${esc(v(s.channel))}</span> ` : ''}${esc(v(s.outcome))}</span>${badge(s.colour_after)}
    <span class="muted">${esc(s.worker || '')}</span>
    ${s.follow_up_on ? `<span class="muted">${esc(t('followUp'))} ${esc(s.follow_up_on)}</span>` : ''}
    ${review(s._id)}${amendmentOf(s._id) ? `<span class="pill" data-amended>${esc(t('amendedBy'))}</span>` : ''}
    ${refused[s._id] ? `<span class="flag flag-refused" data-refused-flag>${esc(t('refusedFlag'))}</span>` : ''}</a>`;
}

/** The supervisor's verdict on a visit, if any. */
export function review(visitId) {
  const r = index.reviews.get(visitId);
  return r ? `<span class="pill review-${esc(r.state)}" data-review="${esc(r.state)}">${esc(v(r.state))}</span>` : '';
}

/** The household page. */
export async function household(view, { id, from }) {
  let kept = await drafts();
  let refused = await standingRefusals(db());
  const draw = () => {
    const hh = index.households.get(id);
    if (!hh) {
      setTitle(t('noResults'), '#/');
      view.innerHTML = `<p class="empty">${esc(t('noResults'))}</p>`;
      return;
    }
    setTitle(`${hh.building} ${hh.unit || ''} ${hh.room}`,
      from === 'todo' ? '#/todo' : link('grid', hh.grid, 'b', hh.building));
    const s = visitState(id);
    const visits = index.visits.get(id) || [];
    view.innerHTML = `<section class="card hh-head c-edge-${esc(hh.colour)}" data-household="${esc(id)}">
        <div class="row between"><div>${badge(hh.colour)} <strong class="big">${esc(hh.head || '')}</strong>
          ${hh.phone ? revealable(hh.phone, 'phone') : ''}</div>
          <a class="btn" href="${link('hh', id, 'edit')}" id="edit">${esc(t('edit'))}</a></div>
        ${hh.status === 'moved_out' ? `<p class="flag flag-overdue" id="moved-out">${esc(t('movedOutFlag'))}</p>` : ''}
        ${hh.colour_reason ? `<p class="reason"><span class="muted">${esc(t('reason'))}${esc(t('colon'))}</span>${esc(hh.colour_reason)}</p>` : ''}
        ${hh.address ? `<p class="muted">${esc(hh.address)}</p>` : ''}
        ${s.overdue ? `<p class="flag flag-overdue">⚠ ${esc(t('overdue', { n: s.overdue }))}</p>` : ''}
        ${dueWarnings(hh).map((w) => `<p class="flag flag-overdue due-visit" data-rule="${esc(w.rule)}">⚠ ${esc(w.reason?.[currentLang()] || w.reason?.zh || w.rule)}</p>`).join('')}
        ${hh.notes ? `<p>${esc(hh.notes)}</p>` : ''}
      </section>
      ${mergeNotice(hh)}
      ${draftsCard(kept, id)}
      <a class="btn btn-primary btn-big btn-wide" href="${link('hh', id, 'visit')}" id="new-visit">${kept[id] ? esc(t('resumeVisit')) : `${esc(t('plus'))} ${esc(t('newVisit'))}`}</a>
      ${householdCampaigns(hh)}
      <div class="two-col">
        <section class="card"><h2>${esc(t('members'))} (${(hh.members || []).length})</h2>
          <ul class="members">${(hh.members || []).map(member).join('') || `<li class="muted">${esc(t('noMembers'))}</li>`}</ul></section>
        ${requestsSection(id)}
      </div>
      <section class="card"><h2>${esc(t('visits'))} (${visits.length})</h2>
        <div class="visits">${visits.map((x) => visitRow(x, refused)).join('') || `<p class="muted">${esc(t('noVisits'))}</p>`}</div></section>`;
    wireRequests($('#requests', view));
    wireDrafts(view, async () => { kept = await drafts(); draw(); });
  };
  draw();
  return { async refresh() { refused = await standingRefusals(db()); kept = await drafts(); draw(); } };
}
