// The service worker: registered once; when a new version of the app is
// installed in the background, a banner offers to switch to it.

import { t } from './i18n.js';
import { esc } from './ui.js';

function offer(worker) {
  const banner = document.getElementById('update');
  banner.innerHTML = `<span>${esc(t('updateReady'))}</span>
    <button type="button" class="btn btn-primary" id="update-now">${esc(t('updateNow'))}</button>`;
  banner.hidden = false;
  document.getElementById('update-now').onclick = () => worker.postMessage({ type: 'skip-waiting' });
}

/** Register sw.js (scope /app/) and watch for new versions. */
export async function registerWorker() {
  if (!('serviceWorker' in navigator)) return;
  let reloading = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // The first install also changes the controller (clients.claim): only a
    // switch the worker accepted from the banner reloads, once.
    if (reloading || !navigator.serviceWorker.controller) return;
    if (document.getElementById('update').hidden !== false) return;
    reloading = true;
    location.reload();
  });
  try {
    const reg = await navigator.serviceWorker.register('sw.js', { scope: './' });
    if (reg.waiting && navigator.serviceWorker.controller) offer(reg.waiting);
    reg.addEventListener('updatefound', () => {
      const next = reg.installing;
      next?.addEventListener('statechange', () => {
        if (next.state === 'installed' && navigator.serviceWorker.controller) offer(next);
      });
    });
    setInterval(() => reg.update().catch(() => {}), 30 * 60 * 1000);
  } catch (err) {
    console.warn('service worker not registered', err);
  }
}
