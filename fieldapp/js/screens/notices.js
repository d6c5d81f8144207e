// Notices (通知) to the worker's grids: the list (newest first, 紧急 in red,
// unread marked), one notice — opening it writes this worker's read receipt
// unless they have one — and the unread count on the top bar's bell.

import { session } from '../api.js';
import { t, v } from '../i18n.js';
import { markRead } from '../records.js';
import { link } from '../router.js';
import { hasRead, index, noticesFor, onData } from '../store.js';
import { $, esc, setTitle, shortTime } from '../ui.js';

const PRIORITY_CLASS = { urgent: 'pill-bad', important: 'pill-warn', normal: '' };
const me = () => session()?.user?.name;

const priority = (p) =>
  `<span class="pill priority ${PRIORITY_CLASS[p] ?? ''}" data-priority="${esc(p)}">${esc(v(p))}</span>`;

function row({ uuid, doc, unread }) {
  return `<a class="notice-row ${unread ? 'unread' : ''}" href="${link('notice', uuid)}" data-notice="${esc(uuid)}"
      data-unread="${unread}">${priority(doc.priority)}
    <span class="notice-main"><strong>${esc(doc.title)}</strong>
      <span class="notice-excerpt">${esc((doc.body || '').split('\n')[0])}</span>
      <span class="muted">${esc(t('publishedBy', { who: doc.published_by_name || doc.published_by, t: shortTime(doc.published_at) }))}</span></span>
    ${unread ? `<span class="flag flag-overdue">${esc(t('unread'))}</span>` : `<span class="muted">${esc(t('read'))}</span>`}
    <span class="chev" aria-hidden="true">›</span></a>`;
}

/** The notices list. */
export async function notices(view) {
  setTitle(t('notices'), '#/');
  const draw = () => {
    const list = noticesFor(me());
    view.innerHTML = `<div class="list" id="notices-list">${list.map(row).join('')
      || `<p class="empty">${esc(t('noNotices'))}</p>`}</div>`;
  };
  draw();
  return { refresh: draw };
}

/** One notice (every grid's copy of it); opening it records the read. */
export async function notice(view, { uuid }) {
  setTitle(t('notices'), '#/notices');
  const copies = () => [...index.notices.values()].filter((d) => d._id.split(':')[2] === uuid);
  const draw = () => {
    const [doc] = copies();
    if (!doc) { view.innerHTML = `<p class="empty">${esc(t('noNotices'))}</p>`; return; }
    setTitle(doc.title, '#/notices');
    view.innerHTML = `<article class="card notice c-edge-${doc.priority === 'urgent' ? 'red' : 'none'}" data-notice="${esc(uuid)}">
      <div class="row wrap">${priority(doc.priority)}<h2>${esc(doc.title)}</h2></div>
      <p class="muted">${esc(t('publishedBy', { who: doc.published_by_name || doc.published_by, t: shortTime(doc.published_at) }))}
        ${doc.expires_at ? ` · ${esc(t('expiresAt', { t: shortTime(doc.expires_at) }))}` : ''}</p>
      <div class="notice-body">${esc(doc.body)}</div></article>`;
  };
  draw();
  const unread = copies().map((d) => d._id).filter((id) => !hasRead(id, me()));
  if (unread.length) await markRead(unread);
  return { refresh: draw };
}

/** Keep the top bar's bell and its unread count current. */
export function mountNoticeBell() {
  const bell = $('#notices');
  const count = $('#notice-count');
  const draw = () => {
    bell.hidden = !session();
    bell.setAttribute('aria-label', t('notices'));
    const n = session() ? noticesFor(me()).filter((e) => e.unread).length : 0;
    count.hidden = !n;
    count.textContent = String(n);
    bell.dataset.unread = String(n);
  };
  onData(draw);
  setInterval(draw, 60000);                 // notices expire with no data changing
  draw();
}
