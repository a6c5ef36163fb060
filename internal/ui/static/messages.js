// Rendering messages with the same markup the server uses: the page's
// <template id="message-template"> is the server's "message" template with
// blank fields, and this module fills it in. Text goes in as textContent
// and attributes. body_html is the exception: the server rendered and
// sanitized it (internal/render: goldmark without raw HTML, then a
// bluemonday allow-list) before storing it, so it is inserted as HTML.

import { clone } from "./dom.js";
import { fillAttachment } from "./attachments.js";
import { fillSound } from "./sounds.js";

// GROUP_WINDOW matches groupWindow in internal/ui/views.go.
export const GROUP_WINDOW = 5 * 60 * 1000;

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December"];

// hour12 is the browser's hour cycle; the server learns it from the clock
// cookie and formats the first paint the same way.
export const hour12 = (() => {
  try {
    const hc = new Intl.DateTimeFormat(undefined, { hour: "numeric" }).resolvedOptions().hourCycle;
    return hc === "h11" || hc === "h12";
  } catch {
    return true;
  }
})();

// formatTime matches clock.Time in internal/ui/cookies.go.
export function formatTime(d) {
  const m = String(d.getMinutes()).padStart(2, "0");
  const h = d.getHours();
  if (hour12) return `${h % 12 || 12}:${m} ${h < 12 ? "AM" : "PM"}`;
  return `${String(h).padStart(2, "0")}:${m}`;
}

// formatDay matches clock.Day.
export function formatDay(d, now = new Date()) {
  const s = `${WEEKDAYS[d.getDay()]}, ${MONTHS[d.getMonth()]} ${d.getDate()}`;
  return d.getFullYear() === now.getFullYear() ? s : `${s}, ${d.getFullYear()}`;
}

export function dayKey(d) {
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

const segmenter = typeof Intl.Segmenter === "function" ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;
const EMOJI = /^(?:\p{Extended_Pictographic}|\p{Regional_Indicator}|[#*0-9]\uFE0F?\u20E3)/u;

// emojiOnly approximates render.EmojiOnly: one to five emoji, nothing else.
export function emojiOnly(body) {
  const s = (body || "").trim();
  if (!s || !segmenter) return false;
  let n = 0;
  for (const { segment } of segmenter.segment(s)) {
    if (/^\s+$/u.test(segment)) continue;
    if (!EMOJI.test(segment) || ++n > 5) return false;
  }
  return n > 0;
}

export function permalink(roomID, messageID) {
  return `/rooms/${roomID}/@${messageID}`;
}

// me is the signed-in person, from <body data-*>.
export const me = {
  id: Number(document.body.dataset.userId || 0),
  name: document.body.dataset.userName || "",
  admin: document.body.dataset.admin === "true",
};

// renderMessage builds a message element from the API's message object.
export function renderMessage(m) {
  const el = clone("message-template");
  el.id = `message_${m.id}`;
  const d = el.dataset;
  d.messageId = m.id;
  d.seq = m.seq;
  d.creatorId = m.creator.id;
  d.clientMessageId = m.client_message_id || "";
  d.createdAt = m.created_at;
  d.updatedAt = m.updated_at;
  d.body = m.body;
  el.classList.toggle("message--mine", m.creator.id === me.id);
  el.classList.toggle("message--mention", (m.mentions || []).includes(me.id));

  fillAuthor(el, m.creator);
  const created = new Date(m.created_at);
  const time = el.querySelector(".message__time");
  time.href = permalink(m.room_id, m.id);
  time.title = `${formatDay(created)} at ${formatTime(created)}`;
  const t = time.querySelector("time");
  t.dateTime = m.created_at;
  t.textContent = formatTime(created);

  const body = el.querySelector(".message__body");
  body.innerHTML = m.body_html; // sanitized by the server; see the top of this file
  body.classList.toggle("message__body--emoji", emojiOnly(m.body));
  const edited = el.querySelector(".message__edited");
  edited.hidden = !m.edited_at;
  if (m.edited_at) {
    const e = new Date(m.edited_at);
    edited.title = `Edited ${formatDay(e)} at ${formatTime(e)}`;
  }

  const boosts = el.querySelector(".boosts");
  for (const b of m.boosts || []) boosts.append(renderBoost(b));
  boosts.hidden = boosts.children.length === 0;
  fillAttachment(el, m.attachment);
  fillPreview(el, m.preview);
  fillSound(el, m.sound);

  if (m.creator.id !== me.id && !me.admin) {
    el.querySelectorAll('[data-action="edit"], [data-action="delete"]').forEach((b) => b.remove());
  }
  return el;
}

// fillPreview adds the link card after the body, with the markup of the
// server's "link-card" template: text as text, the link only when it is
// http(s), the image only from this server (which fetched and re-encoded it).
function fillPreview(el, p) {
  el.querySelector(".link-card")?.remove();
  if (!p || !/^https?:\/\//i.test(p.url || "")) return;
  const make = (tag, cls, text) => {
    const n = document.createElement(tag);
    n.className = cls;
    if (text !== undefined) {
      n.textContent = text;
      n.dir = "auto";
    }
    return n;
  };
  const card = make("a", "link-card");
  card.href = p.url;
  card.target = "_blank";
  card.rel = "nofollow noopener noreferrer";
  if (typeof p.image_url === "string" && p.image_url.startsWith("/api/v1/messages/")) {
    const img = make("img", "link-card__image");
    img.src = p.image_url;
    img.alt = "";
    img.loading = "lazy";
    card.append(img);
  }
  const text = make("span", "link-card__text");
  text.append(make("span", "link-card__site", p.site_name || ""), make("strong", "link-card__title", p.title || ""),
    make("span", "link-card__description", p.description || ""));
  card.append(text);
  el.querySelector(".message__body").after(card);
}

function fillAuthor(el, user) {
  for (const a of el.querySelectorAll(".message__avatar, .message__author")) a.href = `/users/${user.id}`;
  el.querySelector(".message__avatar img").src = user.avatar_url || `/api/v1/users/${user.id}/avatar`;
  el.querySelector(".message__author").textContent = user.name;
  el.querySelector(".message__bot").hidden = user.role !== "bot";
}

// renderPending is my message as typed, shown until the server's copy
// arrives: plain text (the server renders the Markdown), keyed by its
// client_message_id.
export function renderPending(roomID, body, clientID) {
  const el = clone("message-template");
  el.id = `pending_${clientID}`;
  el.classList.add("message--mine", "message--pending");
  const d = el.dataset;
  d.messageId = "";
  d.creatorId = me.id;
  d.clientMessageId = clientID;
  d.createdAt = new Date().toISOString();
  d.body = body;
  fillAuthor(el, { id: me.id, name: me.name });
  const time = el.querySelector(".message__time");
  time.removeAttribute("href");
  const t = time.querySelector("time");
  t.dateTime = d.createdAt;
  t.textContent = formatTime(new Date());
  const b = el.querySelector(".message__body");
  b.textContent = body;
  b.classList.add("message__body--pending");
  el.querySelector(".boosts").hidden = true;
  return el;
}

export function renderBoost(b) {
  const el = clone("boost-template");
  el.dataset.boostId = b.id;
  el.dataset.boosterId = b.booster.id;
  el.title = b.booster.name;
  el.querySelector(".boost__content").textContent = b.content;
  el.querySelector(".boost__by").textContent = b.booster.name;
  const mine = b.booster.id === me.id;
  el.classList.toggle("boost--mine", mine);
  const remove = el.querySelector(".boost__remove");
  if (!mine && remove) remove.remove();
  if (mine && remove) remove.setAttribute("aria-label", `Remove your boost ${b.content}`);
  return el;
}

// relayout puts day separators between days and groups consecutive
// messages by one person within GROUP_WINDOW, as messageViews does on the
// server. It changes only what differs, so the first paint stays as it is.
// With relabel it also rewrites times in the browser's zone (for a first
// paint made before the server knew it).
export function relayout(list, relabel = false) {
  const now = new Date();
  let prev = null;
  let prevDate = null;
  for (const el of list.querySelectorAll(":scope > .message")) {
    const date = new Date(el.dataset.createdAt);
    const newDay = !prev || dayKey(prevDate) !== dayKey(date);
    let kept = false;
    for (let s = el.previousElementSibling; s && s.classList.contains("day-separator");) {
      const before = s.previousElementSibling;
      if (newDay && !kept) {
        const label = formatDay(date, now);
        if (s.firstElementChild.textContent !== label) s.firstElementChild.textContent = label;
        kept = true;
      } else {
        s.remove();
      }
      s = before;
    }
    if (newDay && !kept) {
      const sep = clone("day-separator-template");
      sep.firstElementChild.textContent = formatDay(date, now);
      el.before(sep);
    }
    const continued = !newDay && prev.dataset.creatorId === el.dataset.creatorId && date - prevDate < GROUP_WINDOW;
    if (el.classList.contains("message--continued") !== continued) el.classList.toggle("message--continued", continued);
    if (relabel) {
      const t = el.querySelector(".message__time time");
      const label = formatTime(date);
      if (t && t.textContent !== label) t.textContent = label;
    }
    prev = el;
    prevDate = date;
  }
  // A separator with no message after it (its day's messages were deleted).
  for (const s of list.querySelectorAll(":scope > .day-separator")) {
    let n = s.nextElementSibling;
    if (!n || !n.classList.contains("message")) s.remove();
  }
}
