// The notice on a household page when the server's latest merge replaced a
// value this worker or this tablet had written (the household's `merge`
// record, docs/documents.md): the field (a member's named with the member),
// their value → the kept one, whose edit was kept and the rule that decided.

import { session } from '../api.js';
import { currentLang, t, v } from '../i18n.js';
import { LABELS } from '../rules/schema/messages.js';
import { esc } from '../ui.js';

const ENUM_FIELDS = new Set(['colour', 'status', 'gender']);
const leafOf = (field) => field.slice(field.lastIndexOf('.') + 1);

function shown(field, value) {
  if (value === undefined || value === null || value === '') return t('mergeCleared');
  return ENUM_FIELDS.has(leafOf(field)) ? v(value) : String(value);
}

// "members.{id}.{name}": the member's name and the field's; else the field's.
function label(field, hh) {
  const lang = currentLang() === 'en' ? 1 : 0;
  const named = (key) => (LABELS[key] ? LABELS[key][lang] : key);
  if (!field.startsWith('members.')) return named(field);
  const leaf = leafOf(field);
  const id = field.slice('members.'.length, field.length - leaf.length - 1);
  const who = (hh?.members || []).find((m) => m.id === id)?.name || id;
  return t('mergeMemberField', { who, field: leaf === 'name' ? t('mergeMemberName') : named(leaf) });
}

/** The entries of hh.merge whose replaced values were this worker's or this tablet's. */
export function mergedAway(hh) {
  const s = session() || {};
  const me = s.user?.name;
  const mine = (lost) => (s.device && lost.device === s.device) || (me && lost.user === me);
  return (hh?.merge?.fields || []).map((entry) => ({ entry, lost: (entry.lost || []).filter(mine) }))
    .filter(({ lost }) => lost.length);
}

/** The notice's HTML, or '' when the latest merge replaced nothing of ours. */
export function mergeNotice(hh) {
  const items = mergedAway(hh);
  if (!items.length) return '';
  const rows = items.map(({ entry, lost }) => {
    const who = [entry.user, entry.device].filter(Boolean).join(' · ');
    return `<li data-merge-field="${esc(entry.field)}" data-merge-rule="${esc(entry.rule)}"><strong>${esc(label(entry.field, hh))}</strong>${esc(t('colon'))}`
      + `<span data-merge-lost>${esc(lost.map((l) => shown(entry.field, l.value)).join(t('listSep')))}</span> → `
      + `<span data-merge-kept>${esc(shown(entry.field, entry.value))}</span>`
      + `<span class="muted"> · ${esc(t('mergeBy', { who: who || '?' }))} · ${esc(t('mergeRule', { rule: t(`mergeRule_${entry.rule}`) }))}</span></li>`;
  }).join('');
  return `<section class="card flag-card" id="merge-notice" role="status"><p class="flag flag-overdue">⚠ ${esc(t('mergeNoticeTitle'))}</p><ul>${rows}</ul>`
    + `<p class="muted">${esc(t('mergeNoticeHelp'))}</p></section>`;
}
