// Campfire's page script: one ES module, no build step. Pages work without
// it (they are server-rendered forms); it makes them live and quick.

import { Cable } from "./cable.js";
import { Sidebar } from "./sidebar.js";
import { Room } from "./room.js";
import { hour12 } from "./messages.js";
import { confirmDialog, copyText, toast } from "./dom.js";

// The clock cookie tells the server this browser's zone and hour cycle, so
// it renders times the way this script does.
function rememberClock() {
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    zone = "";
  }
  const value = encodeURIComponent(`${zone};${hour12 ? "h12" : "h23"}`);
  if (!document.cookie.split("; ").includes(`clock=${value}`)) {
    const secure = location.protocol === "https:" ? "; secure" : "";
    document.cookie = `clock=${value}; path=/; max-age=31536000; samesite=lax${secure}`;
  }
}

function sidebarToggle() {
  const sidebar = document.getElementById("sidebar");
  if (!sidebar) return;
  const buttons = document.querySelectorAll(".sidebar-toggle");
  const set = (open) => {
    document.body.classList.toggle("sidebar-open", open);
    for (const b of buttons) b.setAttribute("aria-expanded", String(open));
    if (open) sidebar.querySelector("a")?.focus();
  };
  for (const b of buttons) b.addEventListener("click", () => set(!document.body.classList.contains("sidebar-open")));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && document.body.classList.contains("sidebar-open")) {
      set(false);
      buttons[0]?.focus();
    }
  });
  document.addEventListener("click", (e) => {
    if (document.body.classList.contains("sidebar-open") && !sidebar.contains(e.target) && !e.target.closest(".sidebar-toggle")) set(false);
  });
}

// A flash answers what a person just did; it goes when dismissed, or
// after a while.
function flashes() {
  for (const f of document.querySelectorAll(".flash")) {
    f.querySelector(".flash__close")?.addEventListener("click", () => f.remove());
    setTimeout(() => f.remove(), 8000);
  }
}

// Forms marked data-confirm ask first, in a dialog.
function confirmations() {
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", async (e) => {
      if (form.dataset.confirmed) return;
      e.preventDefault();
      const label = form.querySelector("button[type=submit]")?.textContent.trim() || "OK";
      if (await confirmDialog(form.dataset.confirm, label)) {
        form.dataset.confirmed = "true";
        form.requestSubmit();
      }
    });
  }
}

function copyButtons() {
  for (const b of document.querySelectorAll("[data-copy]")) {
    b.addEventListener("click", async () => {
      const field = document.querySelector(b.dataset.copy);
      if (!field) return;
      field.select();
      toast((await copyText(field.value)) ? "Copied." : "Select the text and copy it.");
    });
  }
}

// People pickers get a filter box and, in room forms, show only for
// closed rooms.
function pickers() {
  for (const picker of document.querySelectorAll(".picker")) {
    const filter = picker.querySelector(".picker__filter");
    const items = [...picker.querySelectorAll(".picker__item")];
    if (!filter || items.length < 2) continue;
    filter.hidden = false;
    filter.addEventListener("input", () => {
      const q = filter.value.trim().toLowerCase();
      for (const li of items) li.hidden = q !== "" && !li.textContent.toLowerCase().includes(q);
    });
    filter.addEventListener("keydown", (e) => {
      if (e.key === "Enter") e.preventDefault(); // filtering, not submitting
    });
  }
  for (const form of document.querySelectorAll(".room-form")) {
    const people = form.querySelector("[data-show-when-closed]");
    if (!people) continue;
    const update = () => {
      people.hidden = form.querySelector("input[name=type]:checked")?.value !== "closed";
    };
    form.addEventListener("change", update);
    update();
  }
}

function main() {
  rememberClock();
  flashes();
  confirmations();
  copyButtons();
  pickers();
  sidebarToggle();
  if (!document.body.dataset.userId) return;

  const cable = new Cable();
  const roomEl = document.getElementById("room");
  const room = roomEl ? new Room(roomEl, cable) : null;
  new Sidebar(cable, room ? room.id : 0);
  if (room) room.start();
  cable.start();
}

main();
