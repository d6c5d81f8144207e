// The field app's service worker (scope /app/): precaches the app shell and
// PouchDB under a cache named by the deployment's version, so the app opens
// with no network at all. The server fills in __VERSION__ (a digest of the
// files) and __PRECACHE__ (their list) when it serves this file. Requests
// outside the scope (/couch, /api) always go to the network.

const VERSION = '__VERSION__';
const CACHE = `gridvisit-app-${VERSION}`;
const PRECACHE = __PRECACHE__;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) =>
    cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload' })))));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('gridvisit-app-') && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  const scope = new URL(self.registration.scope);
  if (request.method !== 'GET' || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) {
    return;
  }
  if (request.mode === 'navigate') {
    // Every page of the app is the shell; routes live in the hash.
    event.respondWith(caches.open(CACHE)
      .then((cache) => cache.match(scope.href))
      .then((hit) => hit || fetch(request)));
    return;
  }
  event.respondWith(caches.open(CACHE)
    .then((cache) => cache.match(request, { ignoreSearch: true }))
    .then((hit) => hit || fetch(request)));
});
