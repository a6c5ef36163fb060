// Pictures: a user.updated frame swaps a person's new picture in wherever
// it shows (messages, sidebar, lists), and the profile and account pages'
// upload forms send the file to the API, as soon as it is chosen, without
// leaving the page.

import { sentence } from "./api.js";
import { toast } from "./dom.js";

// avatarPath matches /api/v1/users/ID/avatar with or without ?v=.
const avatarPath = /^\/api\/v1\/users\/(\d+)\/avatar(?:\?|$)/;

function replaceAvatar(user) {
  if (!user || !user.id || !user.avatar_url) return;
  for (const img of document.querySelectorAll("img.avatar")) {
    const src = img.getAttribute("src") || "";
    const m = avatarPath.exec(src);
    if (m && Number(m[1]) === user.id && src !== user.avatar_url) img.src = user.avatar_url;
  }
}

// renameAuthor shows a person's new name on their messages.
function renameAuthor(user) {
  if (!user || !user.id || typeof user.name !== "string") return;
  for (const el of document.querySelectorAll(`.message[data-creator-id="${Number(user.id)}"] .message__author`)) {
    if (el.textContent !== user.name) el.textContent = user.name;
  }
}

// watchAvatars listens on the page's cable.
export function watchAvatars(cable) {
  cable.addEventListener("frame", (e) => {
    if (e.detail && e.detail.type === "user.updated") {
      replaceAvatar(e.detail.user);
      renameAuthor(e.detail.user);
    }
  });
}

async function send(form, method, body) {
  const err = form.querySelector(".picture-form__error");
  err.hidden = true;
  form.classList.add("picture-form--busy");
  try {
    const res = await fetch(form.action, { method, body, credentials: "same-origin", headers: { Accept: "application/json" } });
    const data = res.status === 204 ? {} : await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((data.error && sentence(data.error.message)) || `The upload failed (${res.status}).`);
    if (data.avatar_url) replaceAvatar(data);
    if (data.logo_url !== undefined || method === "DELETE") {
      location.reload(); // the icon links are in <head>
      return;
    }
    form.reset();
    toast("Picture updated.");
  } catch (e) {
    err.textContent = e.message;
    err.hidden = false;
  } finally {
    form.classList.remove("picture-form--busy");
  }
}

export function pictureForms() {
  for (const form of document.querySelectorAll("form[data-picture-form]")) {
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      send(form, "PUT", new FormData(form));
    });
    // Choosing a file uploads it: a chosen file waiting for a separate
    // Upload button was lost when people pressed "Save profile" instead.
    const input = form.querySelector("input[type=file]");
    const submit = form.querySelector("button[type=submit]");
    if (input) {
      input.addEventListener("change", () => {
        if (input.files.length > 0) send(form, "PUT", new FormData(form));
      });
      if (submit) submit.hidden = true;
    }
    const remove = form.querySelector("[data-picture-remove]");
    if (remove) remove.addEventListener("click", () => send(form, "DELETE", null));
  }
}
