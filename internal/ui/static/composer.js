// The composer: Enter sends, Shift+Enter breaks the line, Up in an empty
// composer edits my last message, @ offers the room's people, and typing
// tells the room (throttled) that I am.

import { randomID, toast, touchTyping } from "./dom.js";
import { me, renderPending } from "./messages.js";
import { startUploads } from "./attachments.js";
import { suggestSounds } from "./sounds.js";

const TYPING_EVERY = 3000; // resend "typing" at most this often
const TYPING_IDLE = 4000; // stop saying so after this long without a key
const MAX_SUGGESTIONS = 8;

export class Composer {
  constructor(room) {
    this.room = room;
    this.form = document.getElementById("composer");
    this.input = document.getElementById("composer-body");
    this.sendButton = this.form.querySelector(".composer__send");
    this.list = document.getElementById("mentions");
    this.typingSentAt = 0;
    this.typingActive = false;
    this.typingIdle = 0;
    this.suggestions = [];
    this.selected = -1;
    this.mentionStart = -1;
    this.enabled = true;
  }

  start() {
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (e) => this.keydown(e));
    startUploads(this);
    this.input.addEventListener("input", () => {
      this.autosize();
      this.typed();
      this.suggest();
    });
    this.input.addEventListener("click", () => this.suggest());
    this.input.addEventListener("blur", () => {
      setTimeout(() => this.closeSuggestions(), 150);
      this.stopTyping();
    });
    this.list.addEventListener("mousedown", (e) => {
      const li = e.target.closest("li[data-index]");
      if (!li) return;
      e.preventDefault(); // keep focus in the composer
      this.choose(Number(li.dataset.index));
    });
    if (touchTyping()) {
      this.input.setAttribute("enterkeyhint", "enter");
      const help = document.getElementById("composer-help");
      if (help) help.textContent = "Enter starts a new line and the send button sends. @ mentions someone.";
    }
    if (!this.room.focus && matchMedia("(pointer: fine)").matches) this.input.focus({ preventScroll: true });
  }

  newID() {
    return randomID();
  }

  pendingElement(body, cid) {
    return renderPending(this.room.id, body, cid);
  }

  focus() {
    if (!this.input.disabled) this.input.focus({ preventScroll: true });
  }

  setPlaceholder(text) {
    this.input.placeholder = text;
    const label = this.form.querySelector("label");
    if (label) label.textContent = text;
  }

  // setEnabled turns the composer off while there is no connection; what
  // was typed stays.
  setEnabled(on) {
    if (this.enabled === on) return;
    this.enabled = on;
    const hadFocus = document.activeElement === this.input;
    this.input.disabled = !on;
    this.sendButton.disabled = !on;
    if (on && (hadFocus || this.lostFocus)) this.input.focus({ preventScroll: true });
    this.lostFocus = !on && hadFocus;
  }

  autosize() {
    this.input.style.height = "auto";
    this.input.style.height = this.input.scrollHeight + "px";
  }

  submit() {
    const body = this.input.value;
    if (!body.trim() || !this.enabled) return;
    const max = Number(this.room.root.dataset.maxBody) || 64 * 1024;
    const bytes = new TextEncoder().encode(body).length;
    if (bytes > max) {
      toast(`That message is ${Math.ceil(bytes / 1024)} KB; the limit is ${Math.floor(max / 1024)} KB.`);
      return;
    }
    this.input.value = "";
    this.autosize();
    this.closeSuggestions();
    this.stopTyping();
    this.room.send(body);
  }

  keydown(e) {
    if (!this.list.hidden && this.suggestions.length) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const n = this.suggestions.length;
        this.select((this.selected + (e.key === "ArrowDown" ? 1 : n - 1)) % n);
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        this.choose(this.selected < 0 ? 0 : this.selected);
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        this.closeSuggestions();
        return;
      }
    }
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey && !touchTyping()) {
      e.preventDefault();
      this.submit();
      return;
    }
    if (e.key === "ArrowUp" && this.input.value === "" && !e.shiftKey) {
      e.preventDefault();
      this.room.editLast();
    }
  }

  // restore puts back a message that could not be sent.
  restore(body) {
    if (this.input.value === "") {
      this.input.value = body;
      this.autosize();
    }
    this.focus();
  }

  // ---- typing

  typed() {
    if (this.input.value.trim() === "") {
      this.stopTyping();
      return;
    }
    const now = Date.now();
    // A start at most every TYPING_EVERY while typing, and at most one a
    // second after a stop: someone sending message after message would
    // otherwise send a start and a stop per message, past the server's
    // typing rate (which drops the excess).
    const gap = this.typingActive ? TYPING_EVERY : 1000;
    if (now - this.typingSentAt > gap) {
      this.typingSentAt = now;
      this.typingActive = true;
      this.room.cable.send({ type: "typing", room_id: this.room.id, active: true });
    }
    clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(), TYPING_IDLE);
  }

  stopTyping() {
    clearTimeout(this.typingIdle);
    if (!this.typingActive) return;
    this.typingActive = false;
    this.room.cable.send({ type: "typing", room_id: this.room.id, active: false });
  }

  // ---- replies

  quote(el) {
    const author = el.querySelector(".message__author").textContent;
    const text = (el.dataset.body || el.querySelector(".message__body").textContent).trim();
    const quoted = `> **${author}** said:\n` + text.split("\n").map((l) => `> ${l}`).join("\n") + "\n\n";
    const v = this.input.value;
    this.input.value = quoted + v;
    this.autosize();
    this.focus();
    this.input.setSelectionRange(this.input.value.length, this.input.value.length);
  }

  // ---- @ autocomplete

  suggest() {
    const caret = this.input.selectionStart;
    if (caret !== this.input.selectionEnd) return this.closeSuggestions();
    const before = this.input.value.slice(0, caret);
    if (suggestSounds(this, before)) return;
    const m = /(^|[\s(])@([^@\n]{0,40})$/u.exec(before);
    if (!m) return this.closeSuggestions();
    const query = m[2].toLowerCase();
    const matches = this.room.members.filter((p) => {
      if (p.id === me.id) return false;
      const name = p.name.toLowerCase();
      return name.startsWith(query) || name.split(/\s+/).some((w) => w.startsWith(query));
    }).slice(0, MAX_SUGGESTIONS);
    if (!matches.length || (query.includes(" ") && !matches.some((p) => p.name.toLowerCase().startsWith(query)))) {
      return this.closeSuggestions();
    }
    this.mentionStart = caret - m[2].length - 1;
    this.suggestions = matches;
    this.list.replaceChildren();
    matches.forEach((p, i) => {
      const li = document.createElement("li");
      li.id = `mention-${i}`;
      li.dataset.index = i;
      li.setAttribute("role", "option");
      const img = document.createElement("img");
      img.className = "avatar";
      img.width = img.height = 22;
      img.alt = "";
      img.src = `/api/v1/users/${p.id}/avatar`;
      const name = document.createElement("span");
      name.textContent = p.name;
      li.append(img, name);
      this.list.append(li);
    });
    // A textarea may not take role=combobox (ARIA in HTML); as a textbox
    // with aria-autocomplete=list it points at the listbox's active option.
    this.list.hidden = false;
    this.select(0);
  }

  select(i) {
    this.selected = i;
    for (const li of this.list.children) li.setAttribute("aria-selected", String(Number(li.dataset.index) === i));
    this.input.setAttribute("aria-activedescendant", `mention-${i}`);
    const li = this.list.children[i];
    if (li) li.scrollIntoView({ block: "nearest" });
  }

  choose(i) {
    const p = this.suggestions[i];
    if (!p) return;
    const v = this.input.value;
    const caret = this.input.selectionStart;
    const insert = p.insert ?? `@${p.name} `;
    this.input.value = v.slice(0, this.mentionStart) + insert + v.slice(caret);
    const at = this.mentionStart + insert.length;
    this.input.setSelectionRange(at, at);
    this.closeSuggestions();
    this.autosize();
    this.input.focus();
  }

  closeSuggestions() {
    if (this.list.hidden) return;
    this.list.hidden = true;
    this.input.removeAttribute("aria-activedescendant");
    this.list.replaceChildren();
    this.suggestions = [];
    this.selected = -1;
    this.input.removeAttribute("aria-activedescendant");
  }
}
