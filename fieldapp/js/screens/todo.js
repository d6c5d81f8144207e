// 待办 / To do: households the rule set says are due a visit (a red household
// not visited for 48 hours), then every open referral and request of the
// worker's grids — referrals first, most urgent then oldest — with the
// household, the member referred, where to, the status and how long it has
// waited; then the open campaigns (专项摸排) with their progress per grid and
// the targeted households still to ask. A row opens the household page, whose step buttons move it along
// (requests.js) and whose visit button records the visit that clears it.

import { currentLang, t, v } from '../i18n.js';
import { link } from '../router.js';
import { session } from '../api.js';
import { db } from '../db.js';
import { draftHref, draftKind, draftSubject, drafts } from '../drafts.js';
import { standingRefusals } from '../outbox.js';
import {
  followUps, householdAlerts, index, openItems, sentBack,
} from '../store.js';
import { campaignSection } from './campaign_list.js';
import { draftPill, draftWhere } from './draft_list.js';
import { visitAge } from './lists.js';
import { describeDoc } from './refused.js';
import { badge, esc, setTitle, shortTime } from '../ui.js';

const URGENCY_CLASS = { urgent: 'pill-bad', high: 'pill-warn' };

/** How long since iso, in words: 40分钟 / 5小时 / 3天. */
export function waited(iso, now = Date.now()) {
  const minutes = Math.max(0, Math.floor((now - Date.parse(iso)) / 60000));
  if (!Number.isFinite(minutes)) return '';
  if (minutes < 60) return t('minutes', { n: minutes });
  if (minutes < 48 * 60) return t('hours', { n: Math.floor(minutes / 60) });
  return t('days', { n: Math.floor(minutes / 1440) });
}

function row({ request: r, household: hh }) {
  const referral = r.kind === 'referral';
  const member = referral ? (hh?.members || []).find((m) => m?.id === r.member) : null;
  const what = referral ? t('referralTo', { r: r.target_name || v(r.target) }) : v(r.kind);
  const since = r.status_times?.[r.status];
  const opened = r.opened_at || since;
  const place = hh ? where(hh) : r.household;
  return `<a class="todo-row c-edge-${esc(hh?.colour || 'none')}" href="${link('hh', r.household)}?from=todo"
      data-request="${esc(r._id)}" data-kind="${esc(r.kind)}" data-status="${esc(r.status)}"
      data-urgency="${esc(r.urgency || '')}">
    <span class="todo-main">
      <span class="todo-where">${badge(hh?.colour)} <strong>${esc(place)}</strong>
        <span class="muted">${esc(hh?.head || '')}</span></span>
      <span class="todo-what">${member ? `<strong class="todo-member">${esc(member.name)}</strong>` : ''}
        <span class="pill ${referral ? 'pill-warn' : ''}">${esc(what)}</span>
        ${r.detail ? `<span class="todo-detail">${esc(r.detail)}</span>` : ''}</span>
    </span>
    <span class="todo-side">
      ${r.urgency ? `<span class="pill urgency ${URGENCY_CLASS[r.urgency] || ''}">${esc(v(r.urgency))}</span>` : ''}
      <span class="pill req-status">${esc(v(r.status))}${since ? ` ${esc(shortTime(since))}` : ''}</span>
      ${opened ? `<span class="todo-waited">${esc(t('waited', { d: waited(opened) }))}</span>` : ''}
    </span>
    <span class="chev" aria-hidden="true">›</span></a>`;
}

const where = (hh) => `${hh.building} ${hh.unit || ''} ${hh.room}`;
const reasonOf = (w) => w.reason?.[currentLang()] || w.reason?.zh || w.rule;

function alertRow({ household: hh, warnings, last }) {
  return `<a class="todo-row c-edge-${esc(hh.colour || 'none')}" href="${link('hh', hh._id)}?from=todo"
      data-household="${esc(hh._id)}" data-rules="${esc(warnings.map((w) => w.rule).join(' '))}">
    <span class="todo-main">
      <span class="todo-where">${badge(hh.colour)} <strong>${esc(where(hh))}</strong>
        <span class="muted">${esc(hh.head || '')}</span></span>
      <span class="todo-what">${warnings.map((w) => `<span class="pill pill-warn">⚠ ${esc(reasonOf(w))}</span>`).join(' ')}</span>
    </span>
    <span class="todo-side"><span class="todo-waited" data-age>${esc(last ? `${t('lastVisit')} ${visitAge(hh)}` : t('never'))}</span></span>
    <span class="chev" aria-hidden="true">›</span></a>`;
}

// A visit the supervisor sent back: their comment, how long ago, the way to amend it.
function sentBackRow({ visit, review, household: hh }) {
  const since = review.reviewed_at || review.updated_at;
  return `<a class="todo-row c-edge-${esc(hh?.colour || 'none')}" href="${link('visit', visit._id, 'amend')}"
      data-sent-back="${esc(visit._id)}">
    <span class="todo-main">
      <span class="todo-where">${badge(hh?.colour)} <strong>${esc(hh ? where(hh) : visit.household)}</strong>
        <span class="muted">${esc(hh?.head || '')} · ${esc(t('visitOn', { d: shortTime(visit.visited_at) }))}</span></span>
      <span class="todo-what"><span class="pill pill-bad">${esc(v('needs_fix'))}</span>
        <span class="todo-detail" data-comment>${esc(review.comment || '')}</span>
        <span class="muted">— ${esc(review.reviewer || '')}</span></span>
    </span>
    <span class="todo-side"><span class="btn btn-primary">${esc(t('amendVisit'))}</span>
      ${since ? `<span class="todo-waited">${esc(t('waited', { d: waited(since) }))}</span>` : ''}</span>
    <span class="chev" aria-hidden="true">›</span></a>`;
}

// A follow-up (复访) due today or overdue.
function followUpRow({ household: hh, state }) {
  return `<a class="todo-row c-edge-${esc(hh.colour || 'none')}" href="${link('hh', hh._id)}?from=todo"
      data-follow-up="${esc(hh._id)}">
    <span class="todo-main">
      <span class="todo-where">${badge(hh.colour)} <strong>${esc(where(hh))}</strong>
        <span class="muted">${esc(hh.head || '')}</span></span>
      <span class="todo-what">${state.overdue
    ? `<span class="flag flag-overdue">⚠ ${esc(t('overdue', { n: state.overdue }))}</span>`
    : `<span class="flag flag-due">${esc(t('dueToday'))}</span>`}</span>
    </span>
    <span class="todo-side"><span class="todo-waited" data-age>${esc(`${t('lastVisit')} ${visitAge(hh)}`)}</span></span>
    <span class="chev" aria-hidden="true">›</span></a>`;
}

// A document the server refused, or a visit not finished: work that waits on this tablet.
function tabletRow({ id, href, label, what, since, attr }) {
  return `<a class="todo-row c-edge-none" href="${href}" ${attr}="${esc(id)}">
    <span class="todo-main"><span class="todo-where">${label}</span>
      <span class="todo-what">${what}</span></span>
    <span class="todo-side">${since ? `<span class="todo-waited">${esc(t('waited', { d: waited(since) }))}</span>` : ''}</span>
    <span class="chev" aria-hidden="true">›</span></a>`;
}

const hhLabel = (id) => {
  const hh = index.households.get(id);
  return hh ? `${badge(hh.colour)} <strong>${esc(where(hh))}</strong> <span class="muted">${esc(hh.head || '')}</span>` : esc(id);
};

/** The 待办 screen. */
export async function todo(view) {
  setTitle(t('todo'), '#/');
  let shown = null;
  const draw = async () => {
    const items = openItems();
    const alerts = householdAlerts();
    const back = sentBack(session()?.user?.name);
    const follow = followUps();
    const refusals = await standingRefusals(db());
    const kept = await drafts();
    const docs = Object.fromEntries((await db().allDocs({ keys: Object.keys(refusals), include_docs: true }))
      .rows.map((r) => [r.key, r.doc]));
    const refused = Object.entries(refusals).map(([id, r]) => ({
      id, href: link('refused', id), attr: 'data-refused-doc', since: r.at,
      label: describeDoc(id, docs[id]), what: `<span class="pill pill-bad">${esc(t('refusedFlag'))}</span>`,
    }));
    const unfinished = Object.entries(kept).map(([id, d]) => ({
      id, href: draftHref(id), attr: 'data-draft-of', since: d.saved_at,
      label: draftKind(id) === 'new' || !draftSubject(id).startsWith('household:') ? esc(draftWhere(id, d)) : hhLabel(draftSubject(id)),
      what: draftPill(id),
    }));
    const referrals = items.filter((i) => i.request.kind === 'referral');
    const others = items.filter((i) => i.request.kind !== 'referral');
    const section = (id, title, list, draw = row) => (list.length ? `<h2>${esc(title)} (${list.length})</h2>
      <div class="list todo-list" id="${id}">${list.map(draw).join('')}</div>` : '');
    const campaigns = campaignSection();
    const any = items.length + alerts.length + back.length + follow.length + refused.length + unfinished.length
      + campaigns.count;
    const html = any
      ? `${section('todo-sent-back', t('todoSentBack'), back, sentBackRow)}${section('todo-refused', t('refusedList'), refused, tabletRow)}${section('todo-drafts', t('drafts'), unfinished, tabletRow)}${section('todo-visits', t('todoVisits'), alerts, alertRow)}${section('todo-follow-ups', t('todoFollowUps'), follow, followUpRow)}<div id="todo-campaigns">${campaigns.html}</div>${section('todo-referrals', t('todoReferrals'), referrals)}${section('todo-requests', t('todoRequests'), others)}`
      : `<p class="empty" id="todo-empty">${esc(t('todoEmpty'))}</p>`;
    if (html === shown) return;                 // a sync that changed nothing here keeps the rows
    shown = html;
    view.innerHTML = html;
  };
  await draw();
  return { refresh: draw };
}
