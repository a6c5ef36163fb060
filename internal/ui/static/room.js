// A room kept live: messages arrive over the cable and are rendered with the
// page's own templates; older ones load as you scroll up (and newer ones
// as you scroll down from a permalink). After a reconnect, or when the tab
// comes back after a minute away, the room resubscribes from the last seq
// it saw and refetches what changed, so nothing is missed and nothing is
// shown twice: every message element is keyed by its id, and my own
// messages in flight by their client_message_id.

import { api } from "./api.js";
import { confirmDialog, copyText, setIcon, swallowEnter, toast, touchTyping } from "./dom.js";
import { me, permalink, relayout, renderBoost, renderMessage } from "./messages.js";
import { Composer } from "./composer.js";
import { BoostPicker } from "./boosts.js";
import { playLive } from "./sounds.js";

const PAGE = 40;
const TYPING_TTL = 6000;

const INVOLVEMENT = {
  everything: { now: "every message", click: "get every message", icon: "bell-ring" },
  mentions: { now: "mentions only", click: "get mentions only", icon: "bell" },
  nothing: { now: "off", click: "turn them off", icon: "bell-off" },
  invisible: { now: "off, and the room is hidden from the sidebar", click: "turn them off and hide the room", icon: "eye-off" },
};

// bellSentence matches involvementSentence in internal/ui/room_show.go.
export function bellSentence(inv, next) {
  return `Notifications: ${INVOLVEMENT[inv].now}. Click to ${INVOLVEMENT[next].click}.`;
}

// nextInvolvement matches chat.NextInvolvement.
function nextInvolvement(type, inv) {
  if (type === "direct") return inv === "everything" ? "nothing" : "everything";
  return { mentions: "everything", everything: "nothing", nothing: "invisible" }[inv] || "mentions";
}

function later(a, b) {
  if (!a) return b;
  if (!b) return a;
  return a > b ? a : b; // RFC 3339 UTC strings of one format sort as times
}

export class Room {
  constructor(root, cable) {
    this.root = root;
    this.cable = cable;
    const d = root.dataset;
    this.id = Number(d.roomId);
    this.type = d.roomType;
    this.lastSeq = Number(d.lastSeq) || 0;
    this.syncedAt = d.syncedAt;
    this.atStart = d.atStart === "true";
    this.atEnd = d.atEnd === "true";
    this.focus = Number(d.focus) || 0;
    this.scroller = document.getElementById("messages");
    this.list = document.getElementById("message-list");
    this.olderEdge = this.list.querySelector(".messages__more--older");
    this.newerEdge = this.list.querySelector(".messages__more--newer");
    this.startEdge = this.list.querySelector(".messages__start");
    this.jump = document.getElementById("jump-to-newest");
    this.typingEl = document.getElementById("typing");
    this.notice = document.getElementById("offline-notice");
    this.members = [];
    try {
      this.members = JSON.parse(document.getElementById("room-members").textContent) || [];
    } catch {
      this.members = [];
    }
    this.pending = new Map(); // client_message_id → {el, body, timer}
    this.buffered = []; // live messages held back while the newest aren't shown
    this.typers = new Map(); // user id → {name, until}
    this.connectedOnce = false;
    this.catchUpAfterSubscribe = false;
    this.closed = false;
    this.baseTitle = document.title;
    this.composer = new Composer(this);
    this.picker = new BoostPicker(this);
    this.toolbar = document.getElementById("message-actions");
    this.announcer = document.getElementById("message-announcer");
    this.current = null; // the message that is the list's one tab stop
  }

  start() {
    relayout(this.list, true);
    if (this.focus) {
      const el = document.getElementById(`message_${this.focus}`);
      if (el) el.scrollIntoView({ block: "center" });
    }
    this.observeEdges();
    this.scroller.addEventListener("scroll", () => this.scrolled(), { passive: true });
    this.jump.addEventListener("click", () => this.jumpToNewest());
    this.list.addEventListener("click", (e) => this.clicked(e));
    this.keyboard();
    this.enhanceBell();
    this.cable.addEventListener("open", () => this.opened());
    this.cable.addEventListener("close", () => this.setOnline(false));
    this.cable.addEventListener("frame", (e) => this.frame(e.detail));
    this.cable.addEventListener("resync", () => this.resync());
    this.cable.addEventListener("visible", () => this.visible());
    this.scrolled();
    this.composer.start();
  }

  // ---- connection

  opened() {
    if (this.closed) return;
    this.setOnline(true);
    this.catchUpAfterSubscribe = this.connectedOnce;
    this.connectedOnce = true;
    this.cable.send({ type: "subscribe", room_id: this.id, since: this.lastSeq });
  }

  // resync starts over from the last seq, as after a reconnect: a tab that
  // was hidden a while may have had its socket frozen.
  resync() {
    if (!this.cable.connected || this.closed) return;
    this.cable.send({ type: "unsubscribe", room_id: this.id });
    this.catchUpAfterSubscribe = true;
    this.cable.send({ type: "subscribe", room_id: this.id, since: this.lastSeq });
  }

  visible() {
    document.title = this.baseTitle;
    if (this.unreadWhileHidden) {
      this.unreadWhileHidden = false;
      this.markRead();
    }
  }

  setOnline(online) {
    if (this.closed) online = false;
    this.notice.hidden = online;
    this.composer.setEnabled(online);
    if (!online) {
      this.typers.clear();
      this.showTyping();
      // Messages in flight wait for the connection rather than fail; they
      // go again once the room is subscribed.
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        clearTimeout(p.slow);
        if (!p.failed) this.setStatus(p.el, "Waiting for the connection…", false);
      }
    }
  }

  // ---- frames

  frame(f) {
    if (f.room_id !== undefined && f.room_id !== this.id) return;
    switch (f.type) {
      case "subscribed":
        this.liveAfter = f.seq; // later seqs are live, not replayed: they may play a sound
        this.subscribed();
        break;
      case "message.created":
        this.created(f.message);
        break;
      case "message.updated":
        this.updated(f.message);
        break;
      case "message.deleted":
        this.deleted(f.message_id);
        break;
      case "boost.created":
        this.boosted(f.message_id, f.boost);
        break;
      case "boost.deleted":
        this.unboosted(f.message_id, f.boost_id);
        break;
      case "typing":
        this.typing(f.user, f.active);
        break;
      case "ack":
        this.acked(f.client_message_id, f.message_id);
        break;
      case "error":
        this.errored(f);
        break;
      case "room.unread":
        if (!document.hidden && this.atEnd) this.markRead();
        break;
      case "room.updated":
        if (f.room && f.room.id === this.id) this.refreshRoom();
        break;
      case "room.deleted":
        this.gone();
        break;
    }
  }

  subscribed() {
    // My messages still in flight go again; the server keys them by
    // client_message_id, so one that did arrive is not stored twice.
    for (const [cid, p] of this.pending) {
      if (!p.failed) this.post(cid);
    }
    if (this.catchUpAfterSubscribe) {
      this.catchUpAfterSubscribe = false;
      this.catchUp();
    }
  }

  // catchUp refetches what the seq replay cannot carry: edits and boosts
  // (updated_since) and deletions (the newest window, compared by id).
  async catchUp() {
    try {
      const since = new Date(new Date(this.syncedAt).getTime() - 5000).toISOString();
      const { messages } = await api("GET", `/api/v1/rooms/${this.id}/messages?updated_since=${encodeURIComponent(since)}`);
      for (const m of messages) this.updated(m);
      const last = this.lastMessage();
      if (last) {
        // The newest window up to what the page had; a message that
        // arrives meanwhile is past the bound and left alone.
        const bound = Number(last.dataset.messageId) + 1;
        const newest = await api("GET", `/api/v1/rooms/${this.id}/messages?before=${bound}&limit=100`);
        const ids = new Set(newest.messages.map((m) => m.id));
        const all = newest.messages.length < 100; // the window reaches the room's start
        const oldest = newest.messages.length ? newest.messages[0].id : bound;
        for (const el of this.list.querySelectorAll(":scope > .message[data-message-id]")) {
          const id = Number(el.dataset.messageId);
          if (id && id < bound && (all || id >= oldest) && !ids.has(id)) this.deleted(id);
        }
        for (const m of newest.messages) this.updated(m);
      }
    } catch {
      // the next reconnect tries again
    }
    this.markRead();
  }

  seen(m) {
    if (m.seq > this.lastSeq) this.lastSeq = m.seq;
    this.syncedAt = later(this.syncedAt, m.updated_at);
  }

  created(m) {
    if (!m || m.room_id !== this.id) return;
    if (m.seq > (this.liveAfter ?? Infinity) && m.seq > this.lastSeq) playLive(m);
    this.seen(m);
    const cid = m.client_message_id;
    if (cid && m.creator.id === me.id && this.pending.has(cid)) {
      this.settle(cid, m);
      return;
    }
    const existing = document.getElementById(`message_${m.id}`);
    if (existing) {
      this.replace(existing, m);
      return;
    }
    if (!this.atEnd) {
      if (!this.buffered.some((b) => b.id === m.id)) this.buffered.push(m);
      this.scrolled();
      return;
    }
    const el = renderMessage(m);
    this.insertNew(el);
    this.announce(m, el);
    if (this.fromBottom() > 8) {
      this.unseen = (this.unseen || 0) + 1;
      this.scrolled();
    }
    this.typers.delete(m.creator.id);
    this.showTyping();
    if (document.hidden && m.creator.id !== me.id) {
      this.unreadWhileHidden = true;
      document.title = "● " + this.baseTitle;
    }
  }

  updated(m) {
    if (!m || m.room_id !== this.id) return;
    this.seen(m);
    const el = document.getElementById(`message_${m.id}`);
    if (el && el.dataset.updatedAt !== m.updated_at) this.replace(el, m);
  }

  deleted(id) {
    this.buffered = this.buffered.filter((m) => m.id !== id);
    const el = document.getElementById(`message_${id}`);
    if (!el) return;
    if (this.picker.message === el) this.picker.close();
    this.keepFromTop(() => {
      el.remove();
      relayout(this.list);
    });
  }

  boosted(messageID, b) {
    if (!b) return;
    this.syncedAt = later(this.syncedAt, b.created_at);
    const el = document.getElementById(`message_${messageID}`);
    if (!el) return;
    const ul = el.querySelector(".boosts");
    if (ul.querySelector(`[data-boost-id="${Number(b.id)}"]`)) return;
    this.keepFromTop(() => {
      ul.append(renderBoost(b));
      ul.hidden = false;
    });
  }

  unboosted(messageID, boostID) {
    const el = document.getElementById(`message_${messageID}`);
    const li = el && el.querySelector(`.boost[data-boost-id="${Number(boostID)}"]`);
    if (!li) return;
    const ul = li.parentElement;
    this.keepFromTop(() => {
      li.remove();
      ul.hidden = ul.children.length === 0;
    });
  }

  // ---- my messages in flight

  send(body) {
    if (!this.atEnd) {
      // Reading history from a permalink: the newest messages are not on
      // the page, so post, then go to them.
      api("POST", `/api/v1/rooms/${this.id}/messages`, { body, client_message_id: this.composer.newID() })
        .then(() => location.assign(`/rooms/${this.id}`))
        .catch((err) => {
          toast(err.message);
          this.composer.restore(body);
        });
      return;
    }
    const cid = this.composer.newID();
    const el = this.composer.pendingElement(body, cid);
    this.pending.set(cid, { el, body, timer: 0, failed: false });
    this.insertNew(el, true);
    this.scrollToNewest();
    this.post(cid);
  }

  post(cid) {
    const p = this.pending.get(cid);
    if (!p) return;
    p.failed = false;
    p.el.classList.remove("message--failed");
    p.el.classList.add("message--pending");
    this.setStatus(p.el, "", false);
    clearTimeout(p.timer);
    clearTimeout(p.slow);
    p.slow = setTimeout(() => this.setStatus(p.el, "Sending…", false), 1500);
    if (this.cable.send({ type: "post", room_id: this.id, body: p.body, client_message_id: cid })) {
      p.timer = setTimeout(() => this.fail(cid, "Not sent yet."), 10_000);
    }
    // Offline: it stays pending and goes when the cable is back.
  }

  acked(cid, messageID) {
    const p = this.pending.get(cid);
    if (!p) return;
    clearTimeout(p.timer);
    p.messageID = messageID;
    // The message.created that follows replaces the element; if it never
    // comes (a dropped event), the replay after a reconnect brings it.
    p.timer = setTimeout(() => this.fetchOwn(cid), 3000);
  }

  async fetchOwn(cid) {
    const p = this.pending.get(cid);
    if (!p || !p.messageID) return;
    try {
      const { messages } = await api("GET", `/api/v1/rooms/${this.id}/messages?after=${p.messageID - 1}&limit=1`);
      const m = messages.find((x) => x.id === p.messageID);
      if (m) this.created(m);
    } catch {
      // leave it pending; a reconnect settles it
    }
  }

  settle(cid, m) {
    const p = this.pending.get(cid);
    clearTimeout(p.timer);
    clearTimeout(p.slow);
    this.pending.delete(cid);
    const dup = document.getElementById(`message_${m.id}`);
    if (dup && dup !== p.el) dup.remove();
    this.keepFromTop(() => {
      p.el.replaceWith(renderMessage(m));
      relayout(this.list);
    });
  }

  fail(cid, why) {
    const p = this.pending.get(cid);
    if (!p) return;
    clearTimeout(p.timer);
    clearTimeout(p.slow);
    p.failed = true;
    p.el.classList.remove("message--pending");
    p.el.classList.add("message--failed");
    this.setStatus(p.el, why, true);
  }

  setStatus(el, text, retry) {
    const s = el.querySelector(".message__status");
    s.querySelector(".message__status-text").textContent = text;
    s.querySelector('[data-action="retry"]').hidden = !retry;
    s.hidden = !text;
  }

  errored(f) {
    if (f.client_message_id && this.pending.has(f.client_message_id)) {
      this.fail(f.client_message_id, `Not sent: ${f.message || "the server refused it"}.`.replace(/\.\.$/, "."));
      return;
    }
    if (f.code === "not_found" && f.room_id === this.id) this.gone();
  }

  // ---- layout and scrolling

  firstMessage() {
    return this.list.querySelector(":scope > .message[data-message-id]:not([data-message-id=''])");
  }

  lastMessage() {
    const all = this.list.querySelectorAll(":scope > .message[data-message-id]:not([data-message-id=''])");
    return all[all.length - 1] || null;
  }

  // insertNew adds a message at the bottom, above my messages in flight
  // (unless it is one).
  insertNew(el, isPending = false) {
    const firstPending = isPending ? null : this.list.querySelector(":scope > .message--pending, :scope > .message--failed");
    this.keepFromTop(() => {
      (firstPending || this.newerEdge).before(el);
      relayout(this.list);
    });
  }

  fromBottom() {
    // The scroller is flex column-reverse: 0 at the bottom, negative above.
    return Math.max(0, -this.scroller.scrollTop);
  }

  // keepFromTop changes the list without moving what is on screen; at the
  // bottom, it stays at the bottom, so new messages come into view.
  keepFromTop(fn) {
    const s = this.scroller;
    const fb = this.fromBottom();
    const fromTop = s.scrollHeight - s.clientHeight - fb;
    fn();
    if (fb < 8 && this.atEnd) {
      s.scrollTop = 0;
    } else {
      s.scrollTop = -Math.max(0, s.scrollHeight - s.clientHeight - fromTop);
    }
    this.scrolled();
  }

  // keepFromBottom is for messages added above: what is on screen stays.
  keepFromBottom(fn) {
    const fb = this.fromBottom();
    fn();
    this.scroller.scrollTop = -fb;
  }

  scrollToNewest() {
    this.scroller.scrollTop = 0;
    this.scrolled();
  }

  scrolled() {
    const fb = this.fromBottom();
    if (fb <= 8) this.unseen = 0;
    const waiting = this.unseen || this.buffered.length;
    this.jump.hidden = this.atEnd && !waiting && fb <= this.scroller.clientHeight / 2;
    const label = waiting ? `${waiting} new message${waiting === 1 ? "" : "s"}` : "Jump to newest";
    const span = this.jump.querySelector(".jump__label");
    if (span.textContent !== label) span.textContent = label;
  }

  jumpToNewest() {
    if (!this.atEnd) {
      location.assign(`/rooms/${this.id}`);
      return;
    }
    this.scrollToNewest();
    this.composer.focus();
  }

  observeEdges() {
    this.io = new IntersectionObserver((entries) => {
      for (const e of entries) {
        if (!e.isIntersecting) continue;
        if (e.target === this.olderEdge) this.loadOlder();
        else if (e.target === this.newerEdge) this.loadNewer();
      }
    }, { root: this.scroller, rootMargin: "600px 0px" });
    if (!this.atStart) this.io.observe(this.olderEdge);
    if (!this.atEnd) this.io.observe(this.newerEdge);
  }

  // reobserve makes the observer look again: if the edge is still in view
  // after a page loaded (a short page, a tall screen), it loads the next.
  reobserve(edge, delay) {
    this.io.unobserve(edge);
    setTimeout(() => this.io.observe(edge), delay);
  }

  async loadOlder() {
    if (this.loadingOlder || this.atStart) return;
    const first = this.firstMessage();
    this.loadingOlder = true;
    let delay = 0;
    try {
      const q = first ? `before=${first.dataset.messageId}&` : "";
      const { messages } = await api("GET", `/api/v1/rooms/${this.id}/messages?${q}limit=${PAGE}`);
      this.keepFromBottom(() => {
        const frag = document.createDocumentFragment();
        for (const m of messages) {
          this.seen(m);
          if (!document.getElementById(`message_${m.id}`)) frag.append(renderMessage(m));
        }
        this.olderEdge.after(frag);
        relayout(this.list);
      });
      if (messages.length < PAGE) {
        this.atStart = true;
        this.olderEdge.hidden = true;
        this.startEdge.hidden = false;
        this.io.unobserve(this.olderEdge);
      }
    } catch {
      delay = 3000;
    } finally {
      this.loadingOlder = false;
    }
    if (!this.atStart) this.reobserve(this.olderEdge, delay);
  }

  async loadNewer() {
    if (this.loadingNewer || this.atEnd) return;
    const last = this.lastMessage();
    if (!last) return;
    this.loadingNewer = true;
    let delay = 0;
    try {
      const { messages } = await api("GET", `/api/v1/rooms/${this.id}/messages?after=${last.dataset.messageId}&limit=${PAGE}`);
      this.keepFromTop(() => {
        for (const m of messages) {
          this.seen(m);
          if (!document.getElementById(`message_${m.id}`)) this.newerEdge.before(renderMessage(m));
        }
        relayout(this.list);
      });
      if (messages.length < PAGE) {
        this.atEnd = true;
        this.newerEdge.hidden = true;
        this.io.unobserve(this.newerEdge);
        const held = this.buffered;
        this.buffered = [];
        for (const m of held) this.created(m);
        this.markRead();
        this.scrolled();
      }
    } catch {
      delay = 3000;
    } finally {
      this.loadingNewer = false;
    }
    if (!this.atEnd) this.reobserve(this.newerEdge, delay);
  }

  // markRead tells the server I have read the room, so my other tabs and
  // devices clear its bold too.
  markRead() {
    if (document.hidden || !this.atEnd) return;
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(() => {
      api("POST", `/api/v1/rooms/${this.id}/read`).catch(() => {});
    }, 250);
  }

  // ---- typing

  typing(user, active) {
    if (!user || user.id === me.id) return;
    if (active) this.typers.set(user.id, { name: user.name, until: Date.now() + TYPING_TTL });
    else this.typers.delete(user.id);
    this.showTyping();
  }

  showTyping() {
    const now = Date.now();
    for (const [id, t] of this.typers) if (t.until <= now) this.typers.delete(id);
    const names = [...this.typers.values()].map((t) => t.name);
    let text = "";
    if (names.length === 1) text = `${names[0]} is typing…`;
    else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
    else if (names.length === 3) text = `${names[0]}, ${names[1]} and ${names[2]} are typing…`;
    else if (names.length > 3) text = "Several people are typing…";
    if (this.typingEl.textContent !== text) this.typingEl.textContent = text;
    clearTimeout(this.typingTimer);
    if (names.length) this.typingTimer = setTimeout(() => this.showTyping(), 1000);
  }

  // ---- message actions

  clicked(e) {
    const button = e.target.closest("button[data-action]");
    if (!button) {
      this.tapped(e);
      return;
    }
    const el = button.closest(".message");
    if (!el) return;
    switch (button.dataset.action) {
      case "boost":
        this.picker.open(el, button);
        break;
      case "reply":
        this.composer.quote(el);
        break;
      case "copy-link":
        this.copyLink(el);
        break;
      case "edit":
        this.edit(el);
        break;
      case "delete":
        this.remove(el);
        break;
      case "retry":
        this.post(el.dataset.clientMessageId);
        break;
      case "unboost":
        this.unboost(el, button.closest(".boost"));
        break;
    }
  }

  // tapped shows a message's actions on a touch screen, where there is no
  // hover: a tap on the message (not on a link in it) toggles them.
  tapped(e) {
    if (!matchMedia("(hover: none)").matches || e.target.closest("a, button, input, textarea")) return;
    const el = e.target.closest(".message[data-message-id]:not([data-message-id=''])");
    for (const open of this.list.querySelectorAll(":scope > .message--menu")) {
      if (open !== el) open.classList.remove("message--menu");
    }
    if (el) {
      this.placeToolbar(el);
      el.classList.toggle("message--menu");
    }
  }

  async copyLink(el) {
    const url = location.origin + permalink(this.id, el.dataset.messageId);
    toast((await copyText(url)) ? "Link copied." : url);
  }

  async boost(el, content) {
    const id = Number(el.dataset.messageId);
    try {
      const b = await api("POST", `/api/v1/messages/${id}/boosts`, { content });
      this.boosted(id, b);
    } catch (err) {
      toast(err.message);
    }
  }

  async unboost(el, li) {
    if (!li) return;
    const id = Number(el.dataset.messageId);
    const boostID = Number(li.dataset.boostId);
    try {
      await api("DELETE", `/api/v1/boosts/${boostID}`);
      this.unboosted(id, boostID);
      this.composer.focus();
    } catch (err) {
      toast(err.message);
    }
  }

  async remove(el) {
    if (!(await confirmDialog("Delete this message? This can't be undone.", "Delete"))) return;
    const id = Number(el.dataset.messageId);
    try {
      await api("DELETE", `/api/v1/messages/${id}`);
      this.deleted(id);
      this.composer.focus();
    } catch (err) {
      toast(err.message);
    }
  }

  // replace swaps in the server's latest copy of a message, keeping focus
  // where it was. A message being edited is left alone until saved.
  replace(el, m) {
    if (el.classList.contains("message--editing")) return;
    const fresh = renderMessage(m);
    if (el.classList.contains("message--highlight")) fresh.classList.add("message--highlight");
    const active = el.contains(document.activeElement) ? document.activeElement : null;
    const action = active && active.dataset ? active.dataset.action : null;
    const wasCurrent = this.current === el;
    this.keepFromTop(() => {
      el.replaceWith(fresh);
      relayout(this.list);
    });
    if (wasCurrent) this.setCurrent(fresh);
    if (active) {
      this.placeToolbar(fresh);
      const again = action && fresh.querySelector(`[data-action="${action}"]`);
      (again || fresh).focus({ preventScroll: true });
    }
  }

  editLast() {
    const mine = this.list.querySelectorAll(`:scope > .message--mine[data-message-id]:not([data-message-id=''])`);
    const el = mine[mine.length - 1];
    if (el && el.dataset.messageId) this.edit(el);
  }

  edit(el) {
    if (el.classList.contains("message--editing")) return;
    const id = Number(el.dataset.messageId);
    el.classList.add("message--editing");
    const body = el.querySelector(".message__body");
    body.hidden = true;

    const form = document.createElement("form");
    form.className = "editor";
    const ta = document.createElement("textarea");
    ta.value = el.dataset.body || "";
    ta.dir = "auto";
    ta.setAttribute("aria-label", "Edit message");
    const error = document.createElement("p");
    error.className = "form-error";
    error.setAttribute("role", "alert");
    error.hidden = true;
    const row = document.createElement("div");
    row.className = "editor__buttons";
    const save = document.createElement("button");
    save.type = "submit";
    save.className = "button button--primary button--small";
    save.textContent = "Save";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "button button--quiet button--small";
    cancel.textContent = "Cancel";
    const hint = document.createElement("span");
    hint.className = "help";
    hint.textContent = "Enter saves · Esc cancels";
    row.append(save, cancel, hint);
    form.append(ta, error, row);
    body.after(form);

    const close = () => {
      form.remove();
      body.hidden = false;
      el.classList.remove("message--editing");
      this.composer.focus();
    };
    if (touchTyping()) hint.textContent = "Esc cancels";
    ta.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && !touchTyping()) {
        e.preventDefault();
        form.requestSubmit();
      } else if (e.key === "Escape") {
        e.preventDefault();
        close();
      }
    });
    cancel.addEventListener("click", close);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const text = ta.value;
      if (text === el.dataset.body) {
        close();
        return;
      }
      save.disabled = true;
      try {
        const m = await api("PATCH", `/api/v1/messages/${id}`, { body: text });
        close();
        this.replace(el, m);
      } catch (err) {
        error.textContent = err.message;
        error.hidden = false;
        save.disabled = false;
      }
    });
    ta.focus();
    ta.setSelectionRange(ta.value.length, ta.value.length);
    ta.style.height = Math.min(ta.scrollHeight + 2, window.innerHeight * 0.4) + "px";
  }

  // ---- keyboard: the message list is one tab stop
  //
  // Every message is focusable but only one (the newest, or the last one
  // visited) is in the tab order; the links and buttons inside messages
  // are taken out of it. Up and Down move between messages, Enter reaches
  // the actions, Left and Right walk a message's links and actions, Escape
  // comes back to the message. Tab from anywhere in the list goes on to
  // the composer, however many messages there are.

  keyboard() {
    this.untab(this.list);
    new MutationObserver((records) => {
      for (const r of records) {
        for (const n of r.addedNodes) if (n.nodeType === Node.ELEMENT_NODE) this.untab(n);
      }
      this.keepTabStop();
    }).observe(this.list, { childList: true, subtree: true });
    this.keepTabStop();
    this.list.addEventListener("keydown", (e) => this.listKey(e));
    this.list.addEventListener("focusin", (e) => {
      const m = e.target.closest(".message");
      if (!m || m.parentElement !== this.list) return;
      this.setCurrent(m);
      if (!this.toolbar.contains(e.target)) this.placeToolbar(m);
    });
    this.list.addEventListener("mouseover", (e) => {
      const m = e.target.closest(".message");
      if (m && m.parentElement === this.list && this.toolbar.parentElement !== m) this.placeToolbar(m);
    });
  }

  // untab takes the focusable things inside messages out of the tab order
  // (they stay clickable and reachable by arrows); the editor keeps its own.
  untab(root) {
    const sel = "a[href], button, input, select, textarea, summary, [tabindex]";
    const found = root.matches(sel) ? [root, ...root.querySelectorAll(sel)] : root.querySelectorAll(sel);
    for (const el of found) {
      if (el.classList.contains("message") || el.closest(".editor")) continue;
      if (el.getAttribute("tabindex") !== "-1") el.setAttribute("tabindex", "-1");
    }
  }

  messageElements() {
    return [...this.list.querySelectorAll(":scope > .message")];
  }

  setCurrent(m) {
    if (this.current && this.current !== m && this.current.tabIndex !== -1) this.current.tabIndex = -1;
    this.current = m;
    if (m.tabIndex !== 0) m.tabIndex = 0;
  }

  // keepTabStop makes sure one message is in the tab order: while the
  // keyboard is elsewhere, the newest.
  keepTabStop() {
    const inList = this.list.contains(document.activeElement);
    if (inList && this.current && this.current.parentElement === this.list) return;
    const all = this.list.querySelectorAll(":scope > .message");
    const last = all[all.length - 1];
    if (last) this.setCurrent(last);
  }

  // placeToolbar moves the one action toolbar into a message, with Edit
  // and Delete only where I may use them. My messages in flight get none.
  placeToolbar(m) {
    const tb = this.toolbar;
    if (!tb || (!this.picker.el.hidden && this.picker.message !== m) || tb.contains(document.activeElement)) return;
    if (!m.dataset.messageId) {
      tb.hidden = true;
      return;
    }
    const mayEdit = Number(m.dataset.creatorId) === me.id || me.admin;
    for (const b of tb.querySelectorAll('[data-action="edit"], [data-action="delete"]')) b.hidden = !mayEdit;
    if (tb.parentElement !== m) m.append(tb);
    tb.hidden = false;
  }

  // parts are a message's links and buttons, in order, the toolbar last.
  parts(m) {
    return [...m.querySelectorAll("a[href], button, input, summary")]
      .filter((el) => !el.closest(".message__avatar, .editor") && el.getClientRects().length > 0);
  }

  listKey(e) {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || e.target.closest(".editor")) return;
    const m = e.target.closest(".message");
    if (!m || m.parentElement !== this.list) return;
    const onMessage = e.target === m;
    const all = this.messageElements();
    const i = all.indexOf(m);
    let to;
    switch (e.key) {
      case "ArrowUp":
        to = all[i - 1];
        break;
      case "ArrowDown":
        to = all[i + 1];
        break;
      case "PageUp":
        to = all[Math.max(0, i - 10)];
        break;
      case "PageDown":
        to = all[Math.min(all.length - 1, i + 10)];
        break;
      case "Home":
        to = onMessage ? all[0] : undefined;
        break;
      case "End":
        to = onMessage ? all[all.length - 1] : undefined;
        break;
      case "Enter":
        if (!onMessage) return;
        e.preventDefault();
        swallowEnter();
        this.placeToolbar(m);
        if (this.toolbar.parentElement === m) this.toolbar.querySelector("button:not([hidden])")?.focus();
        return;
      case "ArrowLeft":
      case "ArrowRight": {
        this.placeToolbar(m);
        const parts = this.parts(m);
        if (!parts.length) return;
        e.preventDefault();
        const j = parts.indexOf(e.target);
        const k = e.key === "ArrowRight" ? j + 1 : (j < 0 ? parts.length : j) - 1;
        (k < 0 || k >= parts.length ? m : parts[k]).focus();
        return;
      }
      case "Escape":
        if (onMessage) return;
        e.preventDefault();
        m.focus();
        return;
      default:
        return;
    }
    e.preventDefault();
    if (to && to !== m) to.focus();
  }

  // announce tells a screen reader about a new message from someone else:
  // who and what, not every button of it (the list itself is not live, so
  // older history loading above is not read out as news).
  announce(m, el) {
    if (!this.announcer || m.creator.id === me.id) return;
    const p = document.createElement("p");
    const text = (el.querySelector(".message__body")?.textContent || m.body || "").replace(/\s+/g, " ").trim();
    p.textContent = `${m.creator.name}: ${text.length > 300 ? text.slice(0, 300) + "…" : text}`;
    this.announcer.append(p);
    while (this.announcer.childElementCount > 3) this.announcer.firstElementChild.remove();
  }

  // ---- the room itself

  enhanceBell() {
    const form = this.root.querySelector("form.bell");
    if (!form) return;
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const next = form.elements.involvement.value;
      try {
        const room = await api("PUT", `/api/v1/rooms/${this.id}/involvement`, { involvement: next });
        this.setBell((room && room.involvement) || next);
        toast(`Notifications: ${INVOLVEMENT[(room && room.involvement) || next].now}.`);
      } catch (err) {
        toast(err.message);
      }
    });
  }

  setBell(inv) {
    const form = this.root.querySelector("form.bell");
    if (!form || !INVOLVEMENT[inv]) return;
    const button = form.querySelector("button");
    const next = nextInvolvement(this.type, inv);
    form.elements.involvement.value = next;
    button.dataset.involvement = inv;
    const text = bellSentence(inv, next);
    button.setAttribute("aria-label", text);
    button.title = text;
    setIcon(button.querySelector("svg"), INVOLVEMENT[inv].icon);
  }

  async refreshRoom() {
    let room;
    try {
      room = await api("GET", `/api/v1/rooms/${this.id}`);
    } catch (err) {
      if (err.status === 404) this.gone();
      return;
    }
    if (room.members) {
      this.members = room.members.map((m) => ({ id: m.id, name: m.name }));
      const count = this.root.querySelector(".room__count");
      if (count) count.textContent = String(room.members.length);
    }
    if (room.type !== "direct") {
      const name = this.root.querySelector(".room__name");
      if (name.textContent !== room.name) {
        name.textContent = room.name;
        this.baseTitle = document.title = document.title.replace(/^[^·]*·/, `${room.name} ·`);
        this.composer.setPlaceholder(`Message #${room.name}`);
      }
    }
    if (room.involvement) this.setBell(room.involvement);
  }

  gone() {
    this.closed = true;
    this.notice.lastChild.textContent = " This room was deleted, or you're no longer in it.";
    this.setOnline(false);
  }
}
