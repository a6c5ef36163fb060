// The live sidebar: unread marks (room.unread / room.read reach every tab
// and device of a person), rooms that appear, change or go, and pings
// reordered by their newest message.

import { api } from "./api.js";
import { clone } from "./dom.js";
import { me } from "./messages.js";

export class Sidebar {
  constructor(cable, currentRoomID) {
    this.direct = document.getElementById("direct-rooms");
    this.shared = document.getElementById("shared-rooms");
    this.current = currentRoomID;
    if (!this.direct || !this.shared) return;
    cable.addEventListener("frame", (e) => this.frame(e.detail));
    // The page was rendered fresh at the first "open"; after a reconnect,
    // whatever happened while it was away (a room marked unread, a room
    // made or deleted) is read again rather than lost.
    let connected = false;
    cable.addEventListener("open", () => {
      if (connected) this.catchUp();
      connected = true;
    });
  }

  // catchUp brings every room's mark and presence in the sidebar up to
  // date with the server.
  async catchUp() {
    let list;
    try {
      list = await api("GET", "/api/v1/rooms");
    } catch {
      return; // the next reconnect tries again
    }
    const seen = new Set();
    for (const room of list.rooms || []) {
      seen.add(room.id);
      if (this.item(room.id)) this.setUnread(room.id, Boolean(room.unread));
      else if (room.involvement !== "invisible") this.refresh(room.id);
    }
    for (const li of document.querySelectorAll(".room-link[data-room-id]")) {
      if (!seen.has(Number(li.dataset.roomId))) li.remove();
    }
  }

  item(roomID) {
    return document.querySelector(`.room-link[data-room-id="${Number(roomID)}"]`);
  }

  frame(f) {
    switch (f.type) {
      case "room.unread":
        this.setUnread(f.room_id, true);
        this.bump(f.room_id);
        break;
      case "room.read":
        this.setUnread(f.room_id, false);
        break;
      case "message.created":
        this.bump(f.room_id, f.message && f.message.created_at);
        break;
      case "room.created":
      case "room.updated":
        if (f.room) this.refresh(f.room.id);
        break;
      case "room.deleted":
        this.remove(f.room_id);
        break;
    }
  }

  // setUnread bolds a room, except the one being read right now.
  setUnread(roomID, unread) {
    const li = this.item(roomID);
    if (!li) return;
    if (unread && roomID === this.current && !document.hidden) return;
    li.classList.toggle("room-link--unread", unread);
  }

  // bump moves a ping to the top: pings are listed newest first.
  bump(roomID, at) {
    const li = this.item(roomID);
    if (!li || !li.dataset.direct) return;
    li.dataset.lastMessageAt = at || new Date().toISOString();
    if (this.direct.firstElementChild !== li) this.direct.prepend(li);
  }

  remove(roomID) {
    const li = this.item(roomID);
    if (li) li.remove();
  }

  // refresh reads the room as I see it (my involvement, its people) and
  // puts it where it belongs, or takes it away.
  async refresh(roomID) {
    let room;
    try {
      room = await api("GET", `/api/v1/rooms/${roomID}`);
    } catch (err) {
      if (err.status === 404) this.remove(roomID);
      return;
    }
    const old = this.item(roomID);
    if (room.involvement === "invisible" && roomID !== this.current) {
      if (old) old.remove();
      return;
    }
    const direct = room.type === "direct";
    const li = clone(direct ? "direct-link-template" : "shared-link-template");
    li.dataset.roomId = room.id;
    li.dataset.lastMessageAt = room.last_message_at || room.created_at;
    const a = li.querySelector("a");
    a.href = `/rooms/${room.id}`;
    if (room.id === this.current) a.setAttribute("aria-current", "page");
    li.classList.toggle("room-link--unread", Boolean(old ? old.classList.contains("room-link--unread") : room.unread) && room.id !== this.current);
    const name = li.querySelector(".room-link__name");
    if (direct) {
      const others = (room.members || []).filter((m) => m.id !== me.id);
      name.textContent = others.length ? others.map((m) => m.name).join(", ") : "Just you";
      const avatars = li.querySelector(".room-link__avatars");
      const tpl = avatars.firstElementChild;
      avatars.replaceChildren();
      for (const m of (others.length ? others : [{ id: me.id }]).slice(0, 3)) {
        const img = tpl.cloneNode();
        img.src = m.avatar_url || `/api/v1/users/${m.id}/avatar`;
        avatars.append(img);
      }
    } else {
      name.textContent = room.name;
      if (room.type === "open") {
        li.querySelector(".room-link__mark").textContent = "#";
      }
    }
    if (old) {
      old.replaceWith(li);
      if (!direct) this.sortShared(li);
      return;
    }
    if (direct) this.direct.prepend(li);
    else this.sortShared(li);
  }

  // sortShared puts a shared room in its alphabetical place.
  sortShared(li) {
    const name = li.querySelector(".room-link__name").textContent.toLowerCase();
    for (const other of this.shared.children) {
      if (other === li) continue;
      const n = other.querySelector(".room-link__name").textContent.toLowerCase();
      if (n > name) {
        if (other.previousElementSibling !== li) other.before(li);
        return;
      }
    }
    if (this.shared.lastElementChild !== li) this.shared.append(li);
  }
}

// unreadHint marks the ☰ buttons while any room is unread: on a phone the
// drawer is closed and the sidebar's own marks are out of sight. It follows
// the marks live, as the badge in push.js does.
export function unreadHint(sidebar) {
  const buttons = document.querySelectorAll(".sidebar-toggle");
  if (buttons.length === 0) return;
  let last = -1;
  const update = () => {
    const n = sidebar.querySelectorAll(".room-link--unread").length;
    if (n === last) return;
    last = n;
    const label = n > 0 ? `Rooms, ${n} unread` : "Rooms";
    for (const b of buttons) {
      b.classList.toggle("sidebar-toggle--unread", n > 0);
      b.setAttribute("aria-label", label);
      b.title = label;
    }
  };
  update();
  new MutationObserver(update).observe(sidebar, { subtree: true, childList: true, attributes: true, attributeFilter: ["class"] });
}
