// My grids → buildings (楼栋) → households, with search by room, name, phone
// or a whole ID number.

import { t, v } from '../i18n.js';
import { maskIdNumber, maskPhone } from '../mask.js';
import { normalise } from '../rules/idnumber.js';
import { link } from '../router.js';
import {
  buildingsOf, daysSinceVisit, followUps, householdAlerts, householdsOf, index, myGrids, openItems, openRequests, search, sentBack, visitState,
} from '../store.js';
import { session } from '../api.js';
import { $, badge, esc, setTitle } from '../ui.js';
import { campaignPending } from './campaign_list.js';
import { drafts, draftsCard, wireDrafts } from './draft_list.js';

const TAG_ORDER = ['elderly_alone', 'over65', 'chronic', 'disabled', 'pregnant', 'immunocompromised'];

function tagsOf(hh) {
  const tags = new Set((hh.members || []).flatMap((m) => m?.tags || []));
  return TAG_ORDER.filter((tag) => tags.has(tag));
}

/** How long since hh was visited, in words (未走访 / 今天 / 3天前): the same on every screen. */
export function visitAge(hh) {
  const days = daysSinceVisit(hh);
  return days === null ? t('never') : days === 0 ? t('today') : t('daysAgo', { n: days });
}

// A query that is a whole ID number (spaces and a lowercase x allowed); part
// of one finds nothing, so searching cannot uncover the masked digits.
const idQuery = (q) => {
  const number = normalise(q);
  return /^[0-9]{17}[0-9X]$/.test(number) ? number : null;
};

/** Households matching q as search() does, and the ones with a member whose ID number q is. */
export function found(q, grid = null) {
  const number = idQuery(q);
  const hits = search(q, grid);
  if (!number) return hits;
  const byId = householdsOf(grid).filter((hh) => (hh.members || []).some((m) => m?.id_number === number));
  return [...new Set([...hits, ...byId])];
}

// The member a whole-ID-number query found, masked as the phone is in a row.
function idHit(hh, q) {
  const number = q && idQuery(q);
  const m = number && (hh.members || []).find((x) => x?.id_number === number);
  return m ? ` · <span class="masked-idno" data-masked-idno>${esc(m.name)} ${esc(maskIdNumber(m.id_number))}</span>` : '';
}

/** One household row: colour, address, head, tags, last visit, follow-up (and the member an ID number query found). */
export function row(hh, withGrid = false, q = '') {
  const s = visitState(hh._id);
  const when = visitAge(hh);
  const flags = [];
  if (s.overdue) flags.push(`<span class="flag flag-overdue">⚠ ${esc(t('overdue', { n: s.overdue }))}</span>`);
  else if (s.dueToday) flags.push(`<span class="flag flag-due">${esc(t('dueToday'))}</span>`);
  if (hh.status === 'moved_out') flags.unshift(`<span class="flag" data-moved-out>${esc(t('movedOutFlag'))}</span>`);
  if (openRequests(hh._id).length) flags.push(`<span class="flag flag-req">${esc(t('requestRaised'))} ${openRequests(hh._id).length}</span>`);
  const people = (hh.members || []).length;
  return `<a class="hh-row c-edge-${esc(hh.colour)}" href="${link('hh', hh._id)}" data-id="${esc(hh._id)}">
    ${badge(hh.colour)}
    <span class="hh-main"><strong class="hh-addr">${withGrid ? `<span class="muted hh-grid">${esc(index.grids.get(hh.grid)?.name || hh.grid)} · </span>` : ''}${esc(hh.building)} ${esc(hh.unit || '')} ${esc(hh.room)}</strong>
      <span class="hh-sub">${esc(hh.head || '')}${hh.phone ? ` · <span class="masked-phone" data-masked-phone>${esc(maskPhone(hh.phone))}</span>` : ''}${idHit(hh, q)}${people ? ` · ${esc(t('people', { n: people }))}` : ''}
      ${tagsOf(hh).map((tag) => `<span class="tag">${esc(v(tag))}</span>`).join('')}</span></span>
    <span class="hh-side"><span class="hh-days ${daysSinceVisit(hh) === null ? 'never' : ''}">${esc(when)}</span>${flags.join('')}</span>
    <span class="chev" aria-hidden="true">›</span></a>`;
}

/** Rows of households into el; records how long it took (window.gridvisit.lastRender). */
export function renderRows(el, list, withGrid = false, q = '') {
  const started = performance.now();
  el.innerHTML = list.length ? list.map((hh) => row(hh, withGrid, q)).join('') : `<p class="empty">${esc(t('noResults'))}</p>`;
  const ms = performance.now() - started;
  window.gridvisitRender = { count: list.length, ms };
  return ms;
}

function searchBox(placeholder) {
  return `<div class="search"><input type="search" id="q" placeholder="${esc(placeholder)}"
    aria-label="${esc(placeholder)}" autocomplete="off" enterkeyhint="search"></div>
    <div id="results" class="list" hidden></div>`;
}

// Wire the search box: results replace the cards while a query is typed.
function wireSearch(view, grid, cards) {
  const input = $('#q', view), results = $('#results', view);
  const run = () => {
    const q = input.value;
    results.hidden = !q.trim();
    $(cards, view).hidden = Boolean(q.trim());
    if (q.trim()) renderRows(results, found(q, grid), true, q);   // results say grid and building
  };
  input.addEventListener('input', run);
  return run;
}

/** Home: the worker's grids. */
export async function home(view) {
  setTitle(t('myGrids'));
  view.innerHTML = `${searchBox(t('search'))}<div id="cards"><div id="draft-slot"></div>
    <a class="todo-card" href="#/todo" id="todo"></a><div id="grid-cards" class="cards"></div></div>`;
  const drawDrafts = async () => {
    const slot = $('#draft-slot', view);
    slot.innerHTML = draftsCard(await drafts());
    wireDrafts(slot, drawDrafts);
  };
  await drawDrafts();
  const draw = () => {
    const items = openItems();
    const alerts = householdAlerts();                 // evaluated once for the card and the grids
    const visits = alerts.length;
    const dueIn = new Map();
    for (const { household } of alerts) dueIn.set(household.grid, (dueIn.get(household.grid) || 0) + 1);
    const referrals = items.filter((i) => i.request.kind === 'referral').length;
    const back = sentBack(session()?.user?.name).length;
    const follow = followUps().length;
    const asked = campaignPending();                  // targeted households 待办 lists under 专项摸排
    const todo = $('#todo', view);
    const summary = [back ? t('todoSummaryBack', { n: back }) : '', visits ? t('todoSummaryVisits', { v: visits }) : '',
      follow ? t('todoSummaryFollow', { n: follow }) : '',
      items.length ? t('todoSummary', { r: referrals, q: items.length - referrals }) : '',
      asked ? t('todoSummaryCampaigns', { n: asked }) : '']
      .filter(Boolean).join(' · ');
    todo.dataset.count = String(items.length);
    todo.dataset.visits = String(visits);
    todo.dataset.follow = String(follow);
    todo.dataset.campaigns = String(asked);
    todo.innerHTML = `<strong>${esc(t('todo'))}</strong><span class="todo-count">${items.length + visits + back + follow + asked}</span>
      <span>${esc(summary || t('todoEmpty'))}</span>
      <span class="chev" aria-hidden="true">›</span>`;
    const grids = myGrids();
    $('#grid-cards', view).innerHTML = grids.map((g) => {
      const list = householdsOf(g.id);
      const red = list.filter((h) => h.colour === 'red').length;
      const yellow = list.filter((h) => h.colour === 'yellow').length;
      const overdue = list.filter((h) => visitState(h._id).overdue).length;
      const due = dueIn.get(g.id) || 0;
      return `<a class="card grid-card" href="${link('grid', g.id)}" data-grid="${esc(g.id)}" data-due="${due}">
        <strong>${esc(g.name)}</strong>
        <span>${esc(index.grids.get(g.id)?.community_name || '')}</span>
        <span class="counts">${esc(t('gridCount', { n: list.length, r: red, y: yellow }))}</span>
        ${overdue ? `<span class="flag flag-overdue">⚠ ${esc(t('overdueCount', { n: overdue }))}</span>` : ''}
        ${due ? `<span class="flag flag-overdue flag-due">⚠ ${esc(t('todoSummaryVisits', { v: due }))}</span>` : ''}
        ${list.length ? '' : `<span class="hint">${esc(t('loadingData'))}</span>`}</a>`;
    }).join('');
  };
  draw();
  const rerun = wireSearch(view, null, '#cards');
  return { refresh() { draw(); drawDrafts(); rerun(); } };
}

/** A grid: its buildings, and all its households. */
export async function grid(view, { grid: id }) {
  setTitle(index.grids.get(id)?.name || id, '#/');
  view.innerHTML = `${searchBox(t('search'))}<div id="cards"></div>`;
  const draw = () => {
    const buildings = buildingsOf(id);
    const total = buildings.reduce((n, b) => n + b.count, 0);
    $('#cards', view).innerHTML = `<div class="row wrap"><a class="btn btn-wide" href="${link('grid', id, 'all')}" id="all">
        ${esc(t('allHouseholds'))} (${total})</a>
        <a class="btn" href="${link('grid', id, 'new')}" id="new-household">${esc(t('plus'))} ${esc(t('newHousehold'))}</a></div>
      <h2>${esc(t('buildings'))}</h2><div class="cards">${buildings.map((b) => `
        <a class="card building-card" href="${link('grid', id, 'b', b.building)}" data-building="${esc(b.building)}">
          <strong>${esc(b.building)}</strong><span class="counts">${b.count} ${esc(t('households'))}</span>
          <span>${b.red ? `${badge('red')} ${b.red}` : ''} ${b.yellow ? `${badge('yellow')} ${b.yellow}` : ''}</span>
          ${b.overdue ? `<span class="flag flag-overdue">⚠ ${esc(t('overdueCount', { n: b.overdue }))}</span>` : ''}
        </a>`).join('')}</div>
      ${total ? '' : `<p class="hint">${esc(t('loadingData'))}</p>`}`;
  };
  draw();
  const rerun = wireSearch(view, id, '#cards');
  return { refresh() { draw(); rerun(); } };
}

/** Households of one building (or the whole grid). */
export async function households(view, { grid: id, building = null }) {
  const gridName = index.grids.get(id)?.name || id;
  setTitle(building ? `${gridName} · ${building}` : `${gridName} · ${t('allHouseholds')}`, link('grid', id));
  const add = building ? link('grid', id, 'b', building, 'new') : link('grid', id, 'new');
  view.innerHTML = `${searchBox(t('search'))}<div class="row between"><p class="count" id="count"></p>
    <a class="btn" href="${add}" id="new-household">${esc(t('plus'))} ${esc(t('newHousehold'))}</a></div><div id="cards" class="list"></div>`;
  const draw = () => {
    const list = householdsOf(id, building);
    $('#count', view).textContent = `${list.length} ${t('households')}`;
    renderRows($('#cards', view), list);
  };
  draw();
  const rerun = wireSearch(view, id, '#cards');
  return { refresh() { draw(); rerun(); } };
}
