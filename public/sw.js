// Quilt's service worker: keeps the app shell available offline.
//
// `cargo xtask dist` replaces the version string and the precache list (each shell file with
// the hash of its content). API requests are never intercepted or cached: records only ever
// live in IndexedDB, never in the Cache API.
'use strict';

const VERSION = "__QUILT_VERSION__";
const PRECACHE = __QUILT_PRECACHE__;
const PREFIX = 'quilt-shell-';
const SHELL = PREFIX + VERSION;
// Each shell cache keeps the list it was filled from, so the next version knows which of its
// files it already has.
const LIST = '/__quilt_precache.json';

// The files of earlier shells still cached: url -> { hash, cache }.
async function cachedFiles() {
  const found = new Map();
  for (const name of await caches.keys()) {
    if (!name.startsWith(PREFIX) || name === SHELL) {
      continue;
    }
    const list = await (await caches.open(name)).match(LIST);
    if (!list) {
      continue;
    }
    for (const file of await list.json()) {
      found.set(file.url, { hash: file.hash, cache: name });
    }
  }
  return found;
}

// Fills this version's cache: a file whose hash an earlier shell has is copied from it, and
// only the files that changed are fetched. A release that changes one file downloads one file.
async function fill() {
  const cache = await caches.open(SHELL);
  const before = await cachedFiles();
  for (const { url, hash } of PRECACHE) {
    const old = before.get(url);
    if (old && old.hash === hash) {
      const kept = await (await caches.open(old.cache)).match(url);
      if (kept) {
        await cache.put(url, kept);
        continue;
      }
    }
    const response = await fetch(new Request(url, { cache: 'reload' }));
    if (!response.ok) {
      throw new Error('precaching ' + url + ' failed: ' + response.status);
    }
    await cache.put(url, response);
  }
  await cache.put(LIST, new Response(JSON.stringify(PRECACHE), {
    headers: { 'content-type': 'application/json' },
  }));
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    fill()
      .then(() => self.skipWaiting())
      .catch(async (err) => {
        // A half-filled cache must not pass for a shell; the earlier one keeps serving.
        await caches.delete(SHELL);
        throw err;
      })
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
