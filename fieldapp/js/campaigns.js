// Campaigns (专项摸排) on the tablet: the campaigns and form versions sync
// brought (the server sends a tablet its own community's and street's only),
// the answers given in the worker's grids, and what the screens ask of them —
// which campaigns are open today, which households each targets, which are
// answered, the progress per grid. store.js hands every campaign, form and
// answer document here as it indexes the database; the screens pass the
// store's index (grids, households) to what needs it.

import { dateStr } from './ui.js';

const campaigns = new Map();    // campaign id -> doc
const forms = new Map();        // form id -> doc
const answers = new Map();      // answer id -> {_id, campaign, form, household, grid, worker, answered_at, channel}

/** Put one campaign, form or answer document (or its deletion) into the index. */
export function applyCampaignDoc(kind, doc, deleted) {
  const map = { campaign: campaigns, form: forms, answer: answers }[kind];
  if (deleted) { map.delete(doc._id); return; }
  if (kind !== 'answer') { map.set(doc._id, doc); return; }
  map.set(doc._id, {
    _id: doc._id, campaign: doc.campaign, form: doc.form, household: doc.household || null,
    grid: doc.grid, worker: doc.worker, answered_at: doc.answered_at, channel: doc.channel,
  });
}

/** Forget every campaign, form and answer (a new account's database is indexed). */
export function clearCampaigns() {
  for (const map of [campaigns, forms, answers]) map.clear();
}

export const campaignDoc = (id) => campaigns.get(id) || null;
export const formDoc = (id) => forms.get(id) || null;

/** Whether campaign is open on day (YYYY-MM-DD) and its current form is on this tablet. */
export function isOpen(campaign, day = dateStr()) {
  return campaign.status === 'open' && Boolean(campaign.form) && forms.has(campaign.form)
    && (!campaign.period || (campaign.period.start <= day && day <= campaign.period.end));
}

/** The open campaigns, ending soonest first. */
export function openCampaigns(day = dateStr()) {
  return [...campaigns.values()].filter((c) => isOpen(c, day))
    .sort((a, b) => (a.period?.end || '').localeCompare(b.period?.end || '') || a._id.localeCompare(b._id));
}

// Whether grid lies in campaign's place (community:c, street:s, or everyone).
function inPlace(campaign, doc) {
  const place = campaign._id.split(':').slice(1, -1).join(':');
  if (place === 'all' || !doc?.community) return true;
  const [kind, id] = place.split(':');
  return kind === 'community' ? doc.community === id : doc.street === id;
}

/** Whether household hh is one campaign asks about (its targets, its place); data: the store's index. */
export function targets(campaign, hh, data) {
  if (hh.status === 'moved_out' || !inPlace(campaign, data.grids.get(hh.grid))) return false;
  const { kind, values = [] } = campaign.targets || { kind: 'all' };
  const present = (hh.members || []).filter((m) => m && (!m.status || m.status === 'present'));
  if (kind === 'tags') return present.some((m) => (m.tags || []).some((tag) => values.includes(tag)));
  if (kind === 'colours') return values.includes(hh.colour);
  if (kind === 'grids') return values.includes(hh.grid);
  if (kind === 'buildings') return values.includes(`${hh.grid}/${hh.building}`);
  return true;
}

/** The answers given to campaign about household id (any worker), newest first. */
export function answersFor(campaignId, householdId) {
  return [...answers.values()].filter((a) => a.campaign === campaignId && a.household === householdId)
    .sort((a, b) => (a.answered_at < b.answered_at ? 1 : -1));
}

/** Answers to campaign given on their own (phone or WeChat, no household record). */
export const contactAnswers = (campaignId) => [...answers.values()]
  .filter((a) => a.campaign === campaignId && !a.household);

/**
 * Progress of campaign in the worker's grids: [{grid, name, total, done,
 * pending: [household]}] — targeted households, those answered, the rest in
 * address order. grids: [{id, name}]; data: the store's index.
 */
export function progress(campaign, grids, data) {
  const answered = new Set([...answers.values()].filter((a) => a.campaign === campaign._id && a.household)
    .map((a) => a.household));
  return grids.map(({ id, name }) => {
    const targeted = [...data.households.values()].filter((hh) => hh.grid === id && targets(campaign, hh, data));
    const pending = targeted.filter((hh) => !answered.has(hh._id));
    const key = (hh) => `${hh.building || ''}\u0000${hh.unit || ''}\u0000${hh.room || ''}`;
    const collator = new Intl.Collator('zh-CN', { numeric: true });
    pending.sort((a, b) => collator.compare(key(a), key(b)));
    return { grid: id, name, total: targeted.length, done: targeted.length - pending.length, pending };
  }).filter((p) => p.total > 0);
}

/** The open campaigns that target household hh; data: the store's index. */
export const campaignsOf = (hh, data) => openCampaigns().filter((c) => targets(c, hh, data));
