// Quilt's service worker: keeps the app shell available offline.
//
// `cargo xtask dist` replaces the version string and the precache list. API requests are never
// intercepted or cached: records only ever live in IndexedDB, never in the Cache API.
'use strict';

const VERSION = "__QUILT_VERSION__";
const PRECACHE = __QUILT_PRECACHE__;
const PREFIX = 'quilt-shell-';
const SHELL = PREFIX + VERSION;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload' }))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith(PREFIX) && name !== SHELL)
            .map((name) => caches.delete(name))
        )
      )
      .then(() => self.clients.claim())
  );
});

async function shellIndex() {
  const cache = await caches.open(SHELL);
  return (await cache.match('/index.html')) || (await cache.match('/'));
}

// Navigations go to the network first so a new release is picked up, and fall back to the
// cached shell when the server cannot be reached (or does not know a client-side route).
async function navigate(request) {
  try {
    const response = await fetch(request);
    if (response.ok) {
      return response;
    }
    return (await shellIndex()) || response;
  } catch (err) {
    const cached = await shellIndex();
    if (cached) {
      return cached;
    }
    throw err;
  }
}

async function fromShell(request) {
  const cache = await caches.open(SHELL);
  const cached = await cache.match(request, { ignoreSearch: true });
  return cached || fetch(request);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) {
    return;
  }
  if (request.mode === 'navigate') {
    event.respondWith(navigate(request));
    return;
  }
  event.respondWith(fromShell(request));
});
