// Afterglow's service worker, served at /sw.js so its scope is the whole site.
//
// It keeps the app shell (style sheet, script, icons, manifest) and the offline page on the
// device, and nothing else: pages and answers that may hold health data always come from the
// network and are never stored here. POSTs are never touched.
"use strict";

// The server replaces this with a hash of the shell's files, so any change to them makes a
// new worker with a new cache (and the old one is deleted when the new worker takes over).
const VERSION = "dev";
const CACHE = `afterglow-shell-${VERSION}`;
const OFFLINE_URL = "/offline";
// Everything this worker ever stores. Nothing in this list shows a person's data.
const SHELL = [
  OFFLINE_URL,
  "/manifest.webmanifest",
  "/static/style.css",
  "/static/app.js",
  // The modules app.js imports (each one a feature; see app.js).
  "/static/checkin-answers.js",
  "/static/checkin-days.js",
  "/static/checkin-form.js",
  "/static/checkin-queue.js",
  "/static/checkin-store.js",
  "/static/checkin-sync.js",
  "/static/drafts.js",
  "/static/new-day.js",
  "/static/offline-page.js",
  "/static/page.js",
  "/static/passkeys.js",
  "/static/replaced-words.js",
  "/static/sign-out.js",
  "/static/signed-in.js",
  "/static/status.js",
  "/static/icon.svg",
  "/static/icons/icon-192.png",
  "/static/icons/icon-512.png",
  "/static/icons/maskable-192.png",
  "/static/icons/maskable-512.png",
  "/static/icons/apple-touch-icon.png",
];
const CACHED_PATHS = new Set(SHELL);

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // Without cookies: the offline page is the same for everyone, and fetching it must never
      // use up a message meant for the person's next page. "reload" skips the HTTP cache; the
      // static files the page has just loaded are asked again with their ETag ("no-cache"),
      // as 304s rather than a second download of the whole shell on a first visit.
      const fresh = (url) => (url.startsWith("/static/") ? "no-cache" : "reload");
      await cache.addAll(SHELL.map((url) => new Request(url, { credentials: "omit", cache: fresh(url) })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("afterglow-") && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

// Static files and the shell: never anything that shows a person's data.
function isStatic(url) {
  return !url.search && (CACHED_PATHS.has(url.pathname) || url.pathname.startsWith("/static/"));
}

// Static files: from the cache first; the cache is replaced as a whole when they change.
async function cacheFirst(request) {
  const cached = await caches.match(request, { cacheName: CACHE, ignoreVary: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") {
    const cache = await caches.open(CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

// Pages: always from the network, never stored; the offline page when there is no network.
async function networkFirst(request) {
  try {
    return await fetch(request);
  } catch (error) {
    const offline = await caches.match(OFFLINE_URL, { cacheName: CACHE, ignoreVary: true });
    if (offline) return offline;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return; // check-ins and every other POST go straight out
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(request));
  } else if (isStatic(url)) {
    event.respondWith(cacheFirst(request));
  }
  // Anything else (charts, JSON, the script's own requests) is left to the browser, untouched
  // and uncached. An export's link is a navigation like any other (networkFirst): offline,
  // it shows the offline page, since there is nothing to download then.
});
