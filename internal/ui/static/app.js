// Campfire's page script: one ES module, no build step. Pages work without
// it (they are server-rendered forms); it makes them live and quick.

import { Cable } from "./cable.js";
import { Sidebar, unreadHint } from "./sidebar.js";
import { Room } from "./room.js";
import { pictureForms, watchAvatars } from "./media.js";
import { hour12 } from "./messages.js";
import { confirmDialog, copyText, swallowEnter, toast } from "./dom.js";

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

// On a narrow screen the sidebar is a drawer over the page: while it is
// open it is a modal dialog, everything behind it is inert (no focus, no
// clicks, hidden from screen readers), Tab stays inside it, and Escape or a
// tap outside closes it, giving focus back to the button that opened it.
function sidebarToggle() {
  const sidebar = document.getElementById("sidebar");
  if (!sidebar) return;
  unreadHint(sidebar);
  const buttons = document.querySelectorAll(".sidebar-toggle");
  const narrow = matchMedia("(max-width: 760px)");
  const isOpen = () => document.body.classList.contains("sidebar-open");
  let opener = null;
  const behind = () => [...document.body.children].filter((el) => !el.contains(sidebar) && el.tagName !== "SCRIPT" && el.tagName !== "TEMPLATE")
    .concat([...sidebar.parentElement.children].filter((el) => el !== sidebar));
  const set = (open, refocus = true) => {
    document.body.classList.toggle("sidebar-open", open);
    for (const b of buttons) b.setAttribute("aria-expanded", String(open));
    for (const el of behind()) el.inert = open;
    if (open) {
      sidebar.setAttribute("role", "dialog");
      sidebar.setAttribute("aria-modal", "true");
      sidebar.setAttribute("aria-label", "Rooms and pings");
      opener = document.activeElement;
      sidebar.querySelector("a")?.focus();
    } else {
      sidebar.removeAttribute("role");
      sidebar.removeAttribute("aria-modal");
      if (refocus && opener && opener.isConnected) opener.focus();
      opener = null;
    }
  };
  for (const b of buttons) b.addEventListener("click", () => set(!isOpen()));
  document.addEventListener("keydown", (e) => {
    if (!isOpen()) return;
    if (e.key === "Escape") {
      e.preventDefault();
      set(false);
    } else if (e.key === "Tab") {
      const items = [...sidebar.querySelectorAll("a[href], button:not([disabled]), input, [tabindex='0']")]
        .filter((el) => el.getClientRects().length > 0);
      if (!items.length) return;
      const first = items[0];
      const last = items[items.length - 1];
      if (e.shiftKey && (document.activeElement === first || !sidebar.contains(document.activeElement))) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (document.activeElement === last || !sidebar.contains(document.activeElement))) {
        e.preventDefault();
        first.focus();
      }
    }
  });
  document.addEventListener("click", (e) => {
    if (isOpen() && !sidebar.contains(e.target) && !e.target.closest(".sidebar-toggle")) set(false);
  });
  // Widened past the drawer's breakpoint, the sidebar is part of the page again.
  narrow.addEventListener("change", () => {
    if (!narrow.matches && isOpen()) set(false, false);
  });
}

// The room page's skip link goes to the composer; a textarea reached by a
// fragment is not always focused, so focus it.
function skipLink() {
  const link = document.querySelector(".skip-link");
  if (!link) return;
  link.addEventListener("click", (e) => {
    const target = document.querySelector(link.getAttribute("href"));
    if (!target) return;
    e.preventDefault();
    if (e.detail === 0) swallowEnter(); // Enter on the link: no newline in the composer
    target.focus();
  });
}

// A flash answers what a person just did; it goes when dismissed, or
// after a while.
// It waits while the pointer or the keyboard is on it.
function flashes() {
  for (const f of document.querySelectorAll(".flash")) {
    f.querySelector(".flash__close")?.addEventListener("click", () => f.remove());
    let timer = 0;
    const later = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (!f.matches(":hover, :focus-within")) f.remove();
        else later();
      }, 6000);
    };
    later();
  }
}

// Forms marked data-confirm ask first, in a dialog.
function confirmations() {
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", async (e) => {
      if (form.dataset.confirmed) return;
      e.preventDefault();
      const label = form.dataset.confirmLabel || form.querySelector("button[type=submit]")?.textContent.trim() || "OK";
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
  skipLink();
  if (!document.body.dataset.userId) return;

  const cable = new Cable();
  const roomEl = document.getElementById("room");
  const room = roomEl ? new Room(roomEl, cable) : null;
  new Sidebar(cable, room ? room.id : 0);
  watchAvatars(cable);
  pictureForms();
  if (room) room.start();
  cable.start();
}

main();
