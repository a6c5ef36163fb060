// Sound messages: a message whose body is "/play NAME" carries
// { sound: { name, url } } and shows as "🔊 played NAME" with a button that
// plays it. A sound plays by itself only for people who receive the message
// live (room.js calls playLive for message.created frames past the seq its
// subscription started at, so neither history nor the replay after a
// reconnect plays), and never while this browser is muted: a toggle in the
// room header, kept in localStorage. Browsers may refuse to play before
// the person has interacted with the page; that refusal is caught and the
// message is marked data-sound-state="blocked".

const MUTE_KEY = "campfire:sounds-muted";

// Only this server's sound files are ever played.
const local = (u) => typeof u === "string" && /^\/api\/v1\/sounds\/[a-z0-9]+-[0-9a-f]{12}\.wav$/.test(u);
const validName = (n) => typeof n === "string" && /^[a-z0-9]{1,32}$/.test(n);

export function muted() {
  try {
    return localStorage.getItem(MUTE_KEY) === "1";
  } catch {
    return false; // storage disabled: sounds stay on
  }
}

export function setMuted(on) {
  try {
    if (on) localStorage.setItem(MUTE_KEY, "1");
    else localStorage.removeItem(MUTE_KEY);
  } catch {
    // not persisted; the toggle still shows what was asked for this page
  }
  document.documentElement.dataset.soundsMuted = String(on);
  for (const b of document.querySelectorAll(".sounds-mute")) showMute(b, on);
}

// fillSound adds the sound markup of the server's "sound" template, or
// removes it when the message plays nothing.
export function fillSound(el, s) {
  el.querySelector(".sound")?.remove();
  if (!s || !local(s.url) || !validName(s.name)) return;
  const p = document.createElement("p");
  p.className = "sound";
  p.dataset.sound = s.name;
  const b = document.createElement("button");
  b.type = "button";
  b.className = "sound__play";
  b.dataset.action = "play-sound";
  b.dataset.url = s.url;
  b.setAttribute("aria-label", `Play the ${s.name} sound`);
  b.title = `Play the ${s.name} sound`;
  const icon = document.createElement("span");
  icon.setAttribute("aria-hidden", "true");
  icon.textContent = "🔊";
  b.append(icon);
  const text = document.createElement("span");
  text.className = "sound__text";
  const strong = document.createElement("strong");
  strong.textContent = s.name;
  text.append("played ", strong);
  p.append(b, " ", text);
  (el.querySelector(".attachment") || el.querySelector(".message__body")).after(p);
}

function mark(el, state) {
  if (el) el.dataset.soundState = state;
}

// play plays url, resolving when playback started; a refusal (autoplay
// rules, a missing file) rejects and is handled by the caller.
function play(url) {
  const audio = new Audio(url);
  return audio.play().then(() => audio);
}

// playLive plays a message that just arrived live, unless muted. The
// message element is looked up after this turn, once room.js has put it in.
export function playLive(m) {
  if (!m || !m.sound || !local(m.sound.url)) return;
  const el = () => document.getElementById(`message_${m.id}`);
  if (muted()) {
    setTimeout(() => mark(el(), "muted"));
    return;
  }
  play(m.sound.url).then(
    () => mark(el(), "played"),
    () => mark(el(), "blocked"),
  );
}

// ---- the mute toggle in the room header

const SVG = "http://www.w3.org/2000/svg";

function showMute(b, on) {
  b.setAttribute("aria-pressed", String(on));
  b.title = on ? "Sounds are muted in this browser. Click to unmute." : "Sounds play in this browser. Click to mute.";
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "icon");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("fill", "none");
  svg.setAttribute("stroke", "currentColor");
  svg.setAttribute("stroke-width", "2");
  svg.setAttribute("stroke-linecap", "round");
  svg.setAttribute("stroke-linejoin", "round");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", "M11 5 6 9H2v6h4l5 4z" + (on ? "M22 9l-6 6M16 9l6 6" : "M15.5 8.5a5 5 0 0 1 0 7M19 5a10 10 0 0 1 0 14"));
  svg.append(path);
  b.replaceChildren(svg);
}

function addMuteToggle() {
  const tools = document.querySelector(".room__tools");
  if (!tools || tools.querySelector(".sounds-mute")) return;
  const b = document.createElement("button");
  b.type = "button";
  b.className = "icon-button sounds-mute";
  b.setAttribute("aria-label", "Mute sounds");
  showMute(b, muted());
  b.addEventListener("click", () => setMuted(!muted()));
  const bell = tools.querySelector(".bell");
  if (bell) bell.before(b);
  else tools.append(b);
}

// ---- the composer: "/play " offers the sounds

let names = null;
let loading = null;

function loadNames(then) {
  if (!loading) {
    loading = fetch("/api/v1/sounds", { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
      .then((j) => {
        names = (j.sounds || []).map((s) => s.name).filter(validName);
      })
      .catch(() => {
        loading = null; // try again on the next keystroke
      });
  }
  loading.then(then);
}

// suggestSounds shows the sounds whose names start with what follows
// "/play " when that is all the composer holds up to the caret. It uses
// the composer's suggestion list (the one @ mentions use) and returns true
// when it handled the keystroke.
export function suggestSounds(composer, before) {
  const list = composer.list;
  const m = /^\s*\/play\s+([a-z0-9]{0,32})$/i.exec(before);
  const after = composer.input.value.slice(before.length);
  if (!m || after.trim() !== "") {
    if (list.dataset.sounds) {
      delete list.dataset.sounds;
      list.setAttribute("aria-label", "People to mention");
    }
    return false;
  }
  if (!names) {
    loadNames(() => {
      if (names && composer.input.value.slice(0, composer.input.selectionStart) === before) composer.suggest();
    });
    composer.closeSuggestions();
    return true;
  }
  const query = m[1].toLowerCase();
  const matches = names.filter((n) => n.startsWith(query));
  if (!matches.length || names.includes(query)) {
    composer.closeSuggestions(); // nothing to offer, or the name is complete: Enter sends
    return true;
  }
  composer.mentionStart = before.length - m[1].length;
  composer.suggestions = matches.map((n) => ({ name: n, insert: n }));
  list.dataset.sounds = "true";
  list.setAttribute("aria-label", "Sounds to play");
  list.replaceChildren();
  matches.forEach((n, i) => {
    const li = document.createElement("li");
    li.id = `mention-${i}`;
    li.dataset.index = i;
    li.setAttribute("role", "option");
    const icon = document.createElement("span");
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = "🔊";
    const name = document.createElement("span");
    name.textContent = n;
    li.append(icon, name);
    list.append(li);
  });
  list.hidden = false;
  composer.select(0);
  return true;
}

// ---- start

// The play buttons, in messages rendered by the server or by script.
document.addEventListener("click", (e) => {
  const b = e.target.closest?.('button[data-action="play-sound"]');
  if (!b || !local(b.dataset.url)) return;
  const el = b.closest(".message");
  play(b.dataset.url).then(
    () => mark(el, "played"),
    () => mark(el, "blocked"),
  );
});
document.documentElement.dataset.soundsMuted = String(muted());
addMuteToggle();
