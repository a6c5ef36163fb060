// The installed app and Web Push, on every page: registers the service
// worker (/sw.js), keeps the app badge on the number of unread rooms, and
// beside a room's bell offers to turn notifications on for this browser.
// Pages work the same without it.

import { setIcon, toast } from "./dom.js";

const canPush = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
// A subscribed browser tells the server again now and then: the server
// may have dropped it (a push service said it was gone, another person
// subscribed this browser), and a save costs one of the person's actions.
const REFRESH_MS = 24 * 60 * 60 * 1000;

function fromB64(s) {
  const raw = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

function sameKey(buffer, key) {
  if (!buffer) return false;
  const a = new Uint8Array(buffer);
  const b = fromB64(key);
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

async function serverKey() {
  const res = await fetch("/api/v1/push/vapid_public_key", { credentials: "same-origin" });
  if (!res.ok) throw new Error(`vapid key: ${res.status}`);
  return (await res.json()).public_key;
}

async function save(sub) {
  const res = await fetch("/api/v1/push_subscriptions", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(sub.toJSON()),
  });
  if (!res.ok) throw new Error(`subscribing: ${res.status}`);
  localStorage.setItem("campfire.push.saved", String(Date.now()));
}

// enableNotifications asks for permission, subscribes this browser with
// the server's VAPID key and stores the subscription. It reports whether
// notifications are on.
export async function enableNotifications() {
  if (!canPush) return false;
  if ((await Notification.requestPermission()) !== "granted") return false;
  const reg = await navigator.serviceWorker.ready;
  const key = await serverKey();
  let sub = await reg.pushManager.getSubscription();
  if (sub && !sameKey(sub.options.applicationServerKey, key)) {
    await sub.unsubscribe(); // made with another server key: useless now
    sub = null;
  }
  if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromB64(key) });
  await save(sub);
  return true;
}

async function subscribed() {
  if (!canPush || Notification.permission !== "granted") return null;
  const reg = await navigator.serviceWorker.getRegistration("/");
  return reg ? reg.pushManager.getSubscription() : null;
}

// offerBeside adds "Turn on notifications" after the room's bell while
// this browser is not subscribed (and has not refused).
async function offerBeside(bell) {
  if (!canPush || Notification.permission === "denied" || (await subscribed())) return;
  // An icon button: a text button pushed the room's name out on a phone.
  const button = document.createElement("button");
  button.type = "button";
  button.className = "icon-button push-offer";
  button.setAttribute("aria-label", "Turn on notifications for this browser");
  button.title = "Turn on notifications for this browser";
  const svg = bell.querySelector("svg");
  if (svg) {
    const icon = svg.cloneNode(true);
    setIcon(icon, "bell-plus");
    button.append(icon);
  } else {
    button.textContent = "Turn on notifications";
  }
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      if (await enableNotifications()) {
        button.remove();
        toast("Notifications are on for this browser.");
        return;
      }
      toast(Notification.permission === "denied" ? "Notifications are blocked in this browser's settings." : "Notifications stay off.");
    } catch {
      toast("Couldn't turn notifications on. Try again later.");
    }
    button.disabled = false;
  });
  bell.after(button);
}

async function refreshSubscription() {
  const sub = await subscribed();
  const last = Number(localStorage.getItem("campfire.push.saved") || 0);
  if (sub && Date.now() - last > REFRESH_MS) await save(sub);
}

// The app badge shows how many rooms are unread, as the sidebar marks
// them; the service worker sets it from pushes while no page is open.
function keepBadge(sidebar) {
  if (!navigator.setAppBadge) return;
  let last = -1;
  const update = () => {
    const n = sidebar.querySelectorAll(".room-link--unread").length;
    if (n === last) return;
    last = n;
    (n > 0 ? navigator.setAppBadge(n) : navigator.clearAppBadge()).catch(() => {});
  };
  update();
  new MutationObserver(update).observe(sidebar, { subtree: true, childList: true, attributes: true, attributeFilter: ["class"] });
}

// Signing out stops this browser's notifications first: on a shared
// computer the next person must not see the last one's messages. The form
// goes ahead whatever happens, within two seconds.
function unsubscribeOnSignOut(form) {
  let leaving = false;
  form.addEventListener("submit", (e) => {
    if (leaving || !canPush || Notification.permission !== "granted") return;
    e.preventDefault(); // decided now: the check below is asynchronous
    leaving = true;
    let sent = false;
    const go = () => {
      if (!sent) form.submit(); // submit() fires no submit event: no loop
      sent = true;
    };
    const timer = setTimeout(go, 2000);
    (async () => {
      const sub = await subscribed();
      if (!sub) return;
      await fetch("/api/v1/push_subscriptions", {
        method: "DELETE",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ endpoint: sub.endpoint }),
      });
      await sub.unsubscribe();
      localStorage.removeItem("campfire.push.saved");
    })().catch(() => {}).finally(() => {
      clearTimeout(timer);
      go();
    });
  });
}

// A new password unsubscribes all the person's browsers on the server
// (a lost device's too); this one re-saves on the next page load.
function resaveAfterNewPassword(form) {
  form.addEventListener("submit", () => {
    if (form.elements.password?.value) localStorage.removeItem("campfire.push.saved");
  });
}

function start() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  }
  if (document.body.dataset.page === "offline") {
    addEventListener("online", () => location.reload());
    return;
  }
  if (!document.body.dataset.userId) return;
  const sidebar = document.getElementById("sidebar");
  if (sidebar) keepBadge(sidebar);
  const bell = document.querySelector(".room__tools .bell");
  if (bell) offerBeside(bell).catch(() => {});
  refreshSubscription().catch(() => {});
  for (const form of document.querySelectorAll('form[action="/session/delete"]')) unsubscribeOnSignOut(form);
  for (const form of document.querySelectorAll('form[action="/profile"]')) resaveAfterNewPassword(form);
}

start();
