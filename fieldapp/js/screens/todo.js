// 待办 / To do: households the rule set says are due a visit (a red household
// not visited for 48 hours), then every open referral and request of the
// worker's grids — referrals first, most urgent then oldest — with the
// household, the member referred, where to, the status and how long it has
// waited. A row opens the household page, whose step buttons move it along
// (requests.js) and whose visit button records the visit that clears it.

import { currentLang, t, v } from '../i18n.js';
import { link } from '../router.js';
import { householdAlerts, openItems } from '../store.js';
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
    <span class="todo-side"><span class="todo-waited">${esc(last ? t('lastVisitAgo', { d: waited(last) }) : t('never'))}</span></span>
    <span class="chev" aria-hidden="true">›</span></a>`;
}

/** The 待办 screen. */
export async function todo(view) {
  setTitle(t('todo'), '#/');
  const draw = () => {
    const items = openItems();
    const alerts = householdAlerts();
    const referrals = items.filter((i) => i.request.kind === 'referral');
    const others = items.filter((i) => i.request.kind !== 'referral');
    const section = (id, title, list, draw = row) => (list.length ? `<h2>${esc(title)} (${list.length})</h2>
      <div class="list todo-list" id="${id}">${list.map(draw).join('')}</div>` : '');
    view.innerHTML = items.length || alerts.length
      ? `${section('todo-visits', t('todoVisits'), alerts, alertRow)}${section('todo-referrals', t('todoReferrals'), referrals)}${section('todo-requests', t('todoRequests'), others)}`
      : `<p class="empty" id="todo-empty">${esc(t('todoEmpty'))}</p>`;
  };
  draw();
  return { refresh: draw };
}
