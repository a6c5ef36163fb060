// Small DOM helpers shared by the page modules. Nothing here inserts HTML:
// text goes in with textContent, values with attributes.

// clone returns a fresh copy of a <template>'s first element.
export function clone(id) {
  const t = document.getElementById(id);
  return t.content.firstElementChild.cloneNode(true);
}

// setIcon points an <svg><use> at another symbol of the same sprite.
export function setIcon(svg, name) {
  const use = svg && svg.querySelector("use");
  if (!use) return;
  const href = use.getAttribute("href");
  use.setAttribute("href", href.replace(/#.*$/, "#" + name));
  svg.setAttribute("class", "icon icon-" + name);
}

// touchTyping is true on a phone or tablet (a coarse pointer): there, as in
// Campfire, Enter starts a new line and the send button sends, since an
// on-screen keyboard has no easy Shift+Enter.
export function touchTyping() {
  return matchMedia("(pointer: coarse)").matches;
}

// swallowEnter is for a keydown handler that moves focus on Enter: the
// same key press's keypress then reaches the newly focused element, where
// it would type a newline or press a button. It is dropped, up to the key's
// release.
export function swallowEnter() {
  const stop = (e) => {
    if (e.key === "Enter") e.preventDefault();
  };
  const done = () => {
    removeEventListener("keypress", stop, true);
    removeEventListener("keyup", done, true);
  };
  addEventListener("keypress", stop, true);
  addEventListener("keyup", done, true);
}

let toastTimer = 0;

// toast says something briefly, to eyes and to screen readers.
export function toast(text) {
  let el = document.getElementById("toast");
  if (!el) {
    el = document.createElement("div");
    el.id = "toast";
    el.className = "flash";
    el.setAttribute("role", "status");
    document.body.append(el);
  }
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 2500);
}

// copyText copies to the clipboard, falling back to a hidden field where
// the Clipboard API is unavailable (plain http on a LAN address).
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // fall through to the old way
    }
  }
  const ta = document.createElement("textarea");
  ta.value = text;
  ta.setAttribute("readonly", "");
  ta.className = "visually-hidden";
  document.body.append(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  ta.remove();
  return ok;
}

// confirmDialog asks a yes/no question in a <dialog> and resolves to the
// answer. It reuses the page's #confirm-dialog or makes one.
export function confirmDialog(text, okLabel = "OK") {
  let dlg = document.getElementById("confirm-dialog");
  if (!dlg) {
    dlg = document.createElement("dialog");
    dlg.id = "confirm-dialog";
    dlg.className = "confirm";
    dlg.setAttribute("aria-labelledby", "confirm-text");
    const form = document.createElement("form");
    form.method = "dialog";
    const p = document.createElement("p");
    p.id = "confirm-text";
    const buttons = document.createElement("div");
    buttons.className = "confirm__buttons";
    const cancel = document.createElement("button");
    cancel.value = "cancel";
    cancel.className = "button button--quiet";
    cancel.textContent = "Cancel";
    const ok = document.createElement("button");
    ok.value = "ok";
    ok.id = "confirm-ok";
    ok.className = "button button--danger";
    buttons.append(cancel, ok);
    form.append(p, buttons);
    dlg.append(form);
    document.body.append(dlg);
  }
  dlg.querySelector("#confirm-text").textContent = text;
  const ok = dlg.querySelector("#confirm-ok");
  ok.textContent = okLabel;
  const back = document.activeElement;
  return new Promise((resolve) => {
    dlg.returnValue = "";
    dlg.addEventListener("close", () => {
      if (back && back.focus) back.focus();
      resolve(dlg.returnValue === "ok");
    }, { once: true });
    dlg.showModal();
    // The safe answer first: Enter, Enter must not destroy anything.
    (dlg.querySelector('button[value="cancel"]') || ok).focus();
  });
}

// randomID is a client_message_id. crypto.randomUUID needs a secure
// context; getRandomValues does not.
export function randomID() {
  if (crypto.randomUUID && window.isSecureContext) return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
