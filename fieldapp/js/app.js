// The app shell: service worker, session, local data, sync, routes.

import { session } from './api.js';
import { db } from './db.js';
import { setLang, currentLang, t } from './i18n.js';
import { explainInsecure } from './insecure.js';
import { refresh, route, startRouter, rerender } from './router.js';
import { begin } from './start.js';
import { lockApp } from './lock.js';
import { hasKeys } from './vault.js';
import { index, onData } from './store.js';
import { mountStatusBar } from './statusbar.js';
import { recount } from './sync.js';
import { registerWorker } from './update.js';
import * as screens from './screens/index.js';
import { mountNoticeBell } from './screens/notices.js';

setLang(currentLang());
// index.html is written in Chinese; before the first screen, say it in the worker's language.
document.title = t('app');
document.querySelectorAll('#view .loading').forEach((p) => { p.textContent = t('loading'); });
registerWorker();

route('/login', screens.login);
route('/', screens.home);
route('/grid/:grid', screens.grid);
route('/grid/:grid/b/:building', screens.households);
route('/grid/:grid/all', screens.households);
route('/grid/:grid/new', screens.householdNew);
route('/grid/:grid/b/:building/new', screens.householdNew);
route('/hh/:id', screens.household);
route('/hh/:id/edit', screens.householdEdit);
route('/hh/:id/visit', screens.visitForm);
route('/visit/:id', screens.visitView);
route('/visit/:id/fix', screens.visitFix);
route('/visit/:id/amend', screens.visitAmend);
route('/refused/:id', screens.refusedDoc);
route('/notices', screens.notices);
route('/todo', screens.todo);
route('/campaign/:id/hh/:hh', screens.campaignForm);
route('/campaign/:id/contact/:grid', screens.campaignForm);
route('/notice/:uuid', screens.notice);
route('/sync', screens.syncScreen);
route('/settings', screens.settings);
route('*', screens.home);

async function start() {
  document.getElementById('menu').textContent = '⚙';
  document.getElementById('menu').hidden = false;
  document.getElementById('menu').onclick = () => { location.hash = '#/settings'; };
  mountStatusBar();
  mountNoticeBell();
  onData(() => { refresh(); recount(); });
  const s = session();
  if (!s) {
    document.body.classList.add('signed-out');
    if (!location.hash.startsWith('#/login')) location.hash = '#/login';
  } else if (hasKeys(s.user.name)) {
    await begin(await lockApp());        // the PIN, offline
  } else if (navigator.onLine) {
    // A tablet from before sealing: the password seals its data (migratePlain).
    document.body.classList.add('signed-out');
    location.hash = '#/login?again=1&seal=1';
  } else {
    await begin(null);                   // offline: work on as before, sealed at the next sign-in
  }
  await startRouter();
  window.gridvisit = { db, session, index, ready: true, rerender, t };
}

// Over plain HTTP by a LAN name the app cannot work offline: say so instead.
if (window.isSecureContext) start(); else explainInsecure();
