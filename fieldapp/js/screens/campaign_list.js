// Campaigns (专项摸排) where the worker meets them: on 待办, each open
// campaign with its progress per grid, the targeted households still to ask
// and a way to record a phone or WeChat contact; on a targeted household's
// page, each open campaign with the way to its form, or when it was answered.

import { answersFor, campaignsOf, contactAnswers, openCampaigns, progress } from '../campaigns.js';
import { t } from '../i18n.js';
import { link } from '../router.js';
import { index, myGrids } from '../store.js';
import { badge, esc, shortTime } from '../ui.js';

const SHOWN = 8;          // pending households listed per grid; the rest are counted

function pendingRow(campaign, hh) {
  return `<a class="todo-row c-edge-${esc(hh.colour || 'none')}" href="${link('campaign', campaign._id, 'hh', hh._id)}"
      data-campaign-household="${esc(hh._id)}">
    <span class="todo-main"><span class="todo-where">${badge(hh.colour)} <strong>${esc(`${hh.building} ${hh.unit || ''} ${hh.room}`)}</strong>
      <span class="muted">${esc(hh.head || '')}</span></span></span>
    <span class="todo-side"><span class="btn btn-primary">${esc(t('fillAnswer'))}</span></span>
    <span class="chev" aria-hidden="true">›</span></a>`;
}

function gridBlock(campaign, p) {
  const more = p.pending.length - SHOWN;
  return `<div class="campaign-grid" data-grid="${esc(p.grid)}" data-done="${p.done}" data-total="${p.total}">
    <div class="row between wrap"><strong>${esc(t('campaignProgress', { name: p.name, done: p.done, total: p.total }))}</strong>
      <a class="btn" href="${link('campaign', campaign._id, 'contact', p.grid)}" data-contact-answer="${esc(p.grid)}">${esc(t('newContactAnswer'))}</a></div>
    <progress max="${p.total}" value="${p.done}"></progress>
    <div class="list todo-list">${p.pending.slice(0, SHOWN).map((hh) => pendingRow(campaign, hh)).join('')}</div>
    ${more > 0 ? `<p class="muted">${esc(t('campaignMore', { n: more }))}</p>` : ''}</div>`;
}

// Each open campaign with its progress in the worker's grids and how many households wait.
const campaignCards = () => openCampaigns().map((campaign) => {
  const grids = progress(campaign, myGrids(), index);
  return { campaign, grids, pending: grids.reduce((n, p) => n + p.pending.length, 0) };
});

/** How many targeted households of open campaigns wait in the worker's grids (待办 lists each). */
export const campaignPending = () => campaignCards().reduce((n, c) => n + c.pending, 0);

/** The open campaigns with their progress, as 待办's section ('' when none), and how many households wait. */
export function campaignSection() {
  const cards = campaignCards().map((card) => ({ ...card, contacts: contactAnswers(card.campaign._id).length }));
  if (!cards.length) return { html: '', count: 0 };
  const html = `<h2>${esc(t('campaigns'))} (${cards.length})</h2>${cards.map(({ campaign, grids, pending, contacts }) => `
    <section class="card campaign-card" data-campaign="${esc(campaign._id)}">
      <div class="row between wrap"><strong class="big">${esc(campaign.name)}</strong>
        <span class="muted">${esc(t('campaignUntil', { d: campaign.period?.end || '' }))} · ${esc(t('campaignPending', { n: pending }))}${contacts ? ` · ${esc(t('contactAnswers', { n: contacts }))}` : ''}</span></div>
      ${campaign.description ? `<p class="muted">${esc(campaign.description)}</p>` : ''}
      ${grids.map((p) => gridBlock(campaign, p)).join('')}</section>`).join('')}`;
  return { html, count: cards.reduce((n, c) => n + c.pending, 0) };
}

/** The household page's card of open campaigns targeting hh ('' when none). */
export function householdCampaigns(hh) {
  const list = campaignsOf(hh, index);
  if (!list.length) return '';
  return `<section class="card" id="household-campaigns"><h2>${esc(t('campaigns'))}</h2>${list.map((c) => {
    const [latest] = answersFor(c._id, hh._id);
    return `<div class="row between wrap campaign-row" data-campaign="${esc(c._id)}" data-answered="${latest ? 'yes' : 'no'}">
      <strong>${esc(c.name)}</strong>${latest
    ? `<span class="pill pill-ok">✓ ${esc(t('answeredAt', { t: shortTime(latest.answered_at) }))}</span>`
    : `<a class="btn btn-primary" href="${link('campaign', c._id, 'hh', hh._id)}" data-fill-answer>${esc(t('fillAnswer'))}</a>`}</div>`;
  }).join('')}</section>`;
}
