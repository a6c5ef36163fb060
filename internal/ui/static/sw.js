// Campfire's service worker: the app shell offline, Web Push
// notifications and the app badge. It is served at /sw.js (scope /) with
// two constants prepended by the server: VERSION, which changes with any
// static file, and SHELL, the hashed URLs of the static files.
//
// What it caches: the static files (immutable, hashed names) and the
// public /offline page, nothing else. Pages are per person and the API is
// live data, so both always go to the network; when a page cannot be
// reached, the offline shell answers with its "offline" banner.
/* global VERSION, SHELL */

const CACHE = `campfire-shell-${VERSION}`;
const OFFLINE = "/offline";

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll([OFFLINE, ...SHELL]);
    await self.skipWaiting();
  })());
});

// Older versions' caches go once this one is in charge.
self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith("campfire-") && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/assets/")) {
    event.respondWith(caches.match(req).then((hit) => hit || fetch(req)));
    return;
  }
  if (req.mode === "navigate") {
    event.respondWith(fetch(req).catch(async () => (await caches.match(OFFLINE)) || Response.error()));
  }
  // Anything else (the API, the cable, avatars) is left to the network.
});

async function setBadge(count) {
  const nav = self.navigator;
  if (typeof count !== "number" || !nav.setAppBadge) return;
  try {
    if (count > 0) await nav.setAppBadge(count);
    else await nav.clearAppBadge();
  } catch {
    // Badges are a nicety; a platform without them still notifies.
  }
}

// A push is a new message for someone not reading its room: the payload
// is {title, body, path, badge, room_id, message_id}.
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = {};
  }
  event.waitUntil((async () => {
    await setBadge(data.badge);
    const icon = SHELL.find((u) => u.includes("/app-icon-192-")) || undefined;
    await self.registration.showNotification(data.title || "Campfire", {
      body: data.body || "",
      icon,
      tag: data.room_id ? `room-${data.room_id}` : undefined,
      renotify: Boolean(data.room_id),
      data: { path: typeof data.path === "string" ? data.path : "/" },
    });
  })());
});

// A click opens the message: in a window of ours if one is open, else in
// a new one. Only paths on this origin are followed.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.path || "/", self.location.origin);
  if (target.origin !== self.location.origin) return;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const w of windows) {
      if (new URL(w.url).origin !== self.location.origin) continue;
      try {
        const focused = await w.focus();
        if (focused && "navigate" in focused) await focused.navigate(target.href);
        return;
      } catch {
        break; // not ours to steer (uncontrolled): open a new window
      }
    }
    await self.clients.openWindow(target.href);
  })());
});
