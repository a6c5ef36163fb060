// Files in messages: filling the server's "attachment" markup from the
// API's JSON, the lightbox for images, and uploads from the composer (the
// file button, paste, drag and drop) with a progress bar per file.

import { sentence } from "./api.js";

// formatBytes matches formatBytes in internal/ui/attachment_view.go.
export function formatBytes(n) {
  if (n < 1000) return `${n} bytes`;
  if (n < 1000 * 1000) return `${Math.floor((n + 500) / 1000)} KB`;
  if (n < 1000 * 1000 * 1000) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(1)} GB`;
}

// fit matches thumb.Fit: the thumbnail's size in a 1200×800 box.
function fit(w, h, maxW = 1200, maxH = 800) {
  if (w <= maxW && h <= maxH) return [w, h];
  if (w * maxH >= h * maxW) return [maxW, Math.max(1, Math.floor((h * maxW) / w))];
  return [Math.max(1, Math.floor((w * maxH) / h)), maxH];
}

// Only the server's own attachment URLs are ever used.
const local = (u) => typeof u === "string" && /^\/api\/v1\/messages\/\d+\/attachment(\/thumbnail)?$/.test(u);

// fillAttachment fills a rendered message's attachment slots as the
// server's template does.
export function fillAttachment(el, a) {
  const box = el.querySelector(".attachment");
  if (!box) return;
  box.hidden = !a || !local(a.url);
  if (box.hidden) return;
  const image = box.querySelector(".attachment__image");
  const file = box.querySelector(".attachment__file");
  const img = image.querySelector("img");
  const thumb = local(a.thumbnail_url) && a.width > 0 && a.height > 0;
  image.hidden = !thumb;
  file.hidden = thumb;
  img.alt = a.filename;
  image.setAttribute("aria-label", `Open the image ${a.filename}`);
  if (thumb) {
    image.href = a.url;
    const [w, h] = fit(a.width, a.height);
    img.width = w;
    img.height = h;
    img.src = a.thumbnail_url;
  } else {
    image.removeAttribute("href");
    img.removeAttribute("src");
  }
  file.href = a.url;
  file.querySelector(".attachment__name").textContent = a.filename;
  file.querySelector(".attachment__size").textContent = formatBytes(a.byte_size);
}

// ---- lightbox

let lightbox = null;

function openLightbox(link) {
  if (!lightbox) {
    lightbox = document.createElement("dialog");
    lightbox.className = "lightbox";
    lightbox.setAttribute("aria-label", "Image");
    const close = document.createElement("button");
    close.type = "button";
    close.className = "lightbox__close button button--quiet";
    close.textContent = "Close";
    close.addEventListener("click", () => lightbox.close());
    const img = document.createElement("img");
    img.className = "lightbox__image";
    const open = document.createElement("a");
    open.className = "lightbox__download";
    open.textContent = "Download";
    open.setAttribute("download", "");
    lightbox.append(close, img, open);
    // A click on the backdrop (the dialog itself, not its content) closes.
    lightbox.addEventListener("click", (e) => {
      if (e.target === lightbox) lightbox.close();
    });
    lightbox.addEventListener("close", () => {
      const opener = lightbox.opener;
      lightbox.opener = null;
      if (opener && opener.isConnected) opener.focus();
    });
    document.body.append(lightbox);
  }
  const img = lightbox.querySelector("img");
  img.src = link.getAttribute("href");
  img.alt = link.querySelector("img").alt;
  lightbox.querySelector(".lightbox__download").href = link.getAttribute("href");
  lightbox.opener = link;
  lightbox.showModal(); // Escape closes a modal dialog; focus returns on close
  lightbox.querySelector(".lightbox__close").focus();
}

document.addEventListener("click", (e) => {
  const link = e.target.closest(".attachment__image[href]");
  if (!link || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) return;
  e.preventDefault();
  openLightbox(link);
});

// ---- uploads

// startUploads wires the composer's file button, paste and drops on the
// room to uploads, one request per file, each with its progress bar.
export function startUploads(composer) {
  const room = composer.room;
  const button = document.getElementById("composer-attach");
  if (!button || !room || !room.id) return;
  const input = document.createElement("input");
  input.type = "file";
  input.multiple = true;
  input.hidden = true;
  input.id = "composer-file";
  composer.form.append(input);
  const list = document.createElement("ul");
  list.className = "uploads";
  list.id = "uploads";
  list.setAttribute("aria-label", "Uploads");
  list.hidden = true;
  composer.form.before(list);

  const send = (files) => {
    for (const f of files) upload(room, composer, list, f);
  };
  button.addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    send(Array.from(input.files));
    input.value = "";
  });
  composer.input.addEventListener("paste", (e) => {
    const files = Array.from(e.clipboardData ? e.clipboardData.files : []);
    if (files.length === 0) return;
    e.preventDefault();
    send(files);
  });
  const zone = document.getElementById("room") || composer.form;
  const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes("Files");
  let depth = 0;
  zone.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    depth++;
    zone.classList.add("room--dropping");
  });
  zone.addEventListener("dragleave", () => {
    if (--depth <= 0) {
      depth = 0;
      zone.classList.remove("room--dropping");
    }
  });
  zone.addEventListener("dragover", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
  });
  zone.addEventListener("drop", (e) => {
    depth = 0;
    zone.classList.remove("room--dropping");
    if (!hasFiles(e)) return;
    e.preventDefault();
    send(Array.from(e.dataTransfer.files));
  });
}

function upload(room, composer, list, file) {
  const item = document.createElement("li");
  item.className = "upload";
  const name = document.createElement("span");
  name.className = "upload__name";
  name.dir = "auto";
  name.textContent = file.name || "pasted file";
  const bar = document.createElement("progress");
  bar.className = "upload__progress";
  bar.max = 100;
  bar.value = 0;
  bar.setAttribute("aria-label", `Uploading ${name.textContent}`);
  const status = document.createElement("span");
  status.className = "upload__status";
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.className = "link-button upload__cancel";
  cancel.textContent = "Cancel";
  item.append(name, bar, status, cancel);
  list.append(item);
  list.hidden = false;
  const done = () => {
    item.remove();
    list.hidden = list.children.length === 0;
  };
  const fail = (text) => {
    item.classList.add("upload--failed");
    bar.remove();
    status.textContent = text;
    cancel.textContent = "Dismiss";
    cancel.onclick = done;
  };

  const form = new FormData();
  form.append("client_message_id", composer.newID());
  form.append("file", file, file.name || "pasted-file");
  // XMLHttpRequest rather than fetch: only it reports upload progress.
  // Same origin, with the session cookie, like every other API call.
  const xhr = new XMLHttpRequest();
  xhr.open("POST", `/api/v1/rooms/${room.id}/attachments`);
  xhr.withCredentials = true;
  xhr.setRequestHeader("Accept", "application/json");
  xhr.responseType = "json";
  xhr.upload.addEventListener("progress", (e) => {
    if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
  });
  xhr.addEventListener("load", () => {
    const data = xhr.response;
    if (xhr.status === 200 || xhr.status === 201) {
      done();
      // The cable brings it too; whichever comes first shows it once.
      if (data && data.id && typeof room.created === "function") room.created(data);
      return;
    }
    const err = data && data.error ? sentence(data.error.message) : "";
    fail(err || `Upload failed (${xhr.status}).`);
  });
  xhr.addEventListener("error", () => fail("Upload failed. The file may be over the size limit, or the connection dropped."));
  xhr.addEventListener("abort", done);
  cancel.onclick = () => xhr.abort();
  xhr.send(form);
}
