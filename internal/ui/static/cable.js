// The cable: one WebSocket per page, reconnected with backoff. Listeners
// get "open" (connected; resubscribe now), "close" (disconnected), "frame"
// (every frame but pong) and "resync" (the tab came back after being hidden
// long enough that the socket may have missed things).

const HEARTBEAT = 25_000; // ping this often…
const PONG_WAIT = 10_000; // …and give up on a socket that has not answered
const HIDDEN_RESYNC = 60_000;
const MAX_BACKOFF = 15_000;

export class Cable extends EventTarget {
  constructor() {
    super();
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.url = `${scheme}//${location.host}/api/v1/cable`;
    this.ws = null;
    this.connected = false;
    this.failures = 0;
    this.timer = 0;
    this.heartbeat = 0;
    this.lastHeard = 0;
    this.pingSentAt = 0;
    this.hiddenAt = document.hidden ? Date.now() : 0;
    this.leaving = false;
  }

  start() {
    this.connect();
    document.addEventListener("visibilitychange", () => this.visibilityChanged());
    window.addEventListener("online", () => this.reconnectNow());
    window.addEventListener("pagehide", () => { this.leaving = true; });
    window.addEventListener("pageshow", (e) => {
      if (e.persisted) { // back/forward cache: the old socket is gone
        this.leaving = false;
        this.reconnectNow();
      }
    });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  connect() {
    clearTimeout(this.timer);
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.failures = 0;
      this.connected = true;
      this.lastHeard = Date.now();
      this.send({ type: "visibility", visible: !document.hidden });
      this.startHeartbeat();
      this.emit("open");
    };
    ws.onmessage = (e) => {
      if (this.ws !== ws) return;
      this.lastHeard = Date.now();
      let frame;
      try {
        frame = JSON.parse(e.data);
      } catch {
        return;
      }
      if (frame.type === "pong") return;
      this.emit("frame", frame);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.dropped();
    };
  }

  // dropped forgets the socket and schedules the next attempt.
  dropped() {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      try { ws.close(); } catch { /* already closed */ }
    }
    clearInterval(this.heartbeat);
    const was = this.connected;
    this.connected = false;
    if (this.leaving) return;
    if (!was) this.failures++;
    this.emit("close");
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    clearTimeout(this.timer);
    // Full jitter on an exponential base, so a restarted server is not
    // met by every browser at the same instant.
    const base = Math.min(MAX_BACKOFF, 500 * 2 ** Math.min(this.failures, 8));
    const delay = base / 2 + Math.random() * (base / 2);
    this.timer = setTimeout(() => this.connect(), delay);
    if (this.failures >= 3) this.checkSignedIn();
  }

  // checkSignedIn sends a person whose session ended to sign in, rather
  // than reconnect forever.
  async checkSignedIn() {
    try {
      const res = await fetch("/api/v1/users/me", { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (res.status === 401) location.assign("/session/new?return_to=" + encodeURIComponent(location.pathname));
    } catch {
      // offline; keep trying
    }
  }

  reconnectNow() {
    if (this.ws) return;
    this.failures = 0;
    this.connect();
  }

  // startHeartbeat pings now and then, and drops a socket that sent
  // nothing back since the last ping: a half-open connection may never
  // fire a close event. A hidden tab's timers run late, which only makes
  // the check later, never wrong.
  startHeartbeat() {
    clearInterval(this.heartbeat);
    this.pingSentAt = 0;
    this.heartbeat = setInterval(() => {
      const now = Date.now();
      if (this.pingSentAt && this.lastHeard < this.pingSentAt && now - this.pingSentAt > PONG_WAIT) {
        this.dropped();
        return;
      }
      this.pingSentAt = now;
      this.send({ type: "ping" });
    }, HEARTBEAT);
  }

  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  visibilityChanged() {
    if (document.hidden) {
      this.hiddenAt = Date.now();
      this.send({ type: "visibility", visible: false });
      return;
    }
    const away = this.hiddenAt ? Date.now() - this.hiddenAt : 0;
    this.hiddenAt = 0;
    if (!this.ws) {
      this.reconnectNow();
      return;
    }
    this.send({ type: "visibility", visible: true });
    this.emit("visible");
    if (away >= HIDDEN_RESYNC) this.emit("resync");
  }
}
