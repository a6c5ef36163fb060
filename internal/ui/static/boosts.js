// The boost picker: eight one-tap emoji and a field for up to 16
// characters of anything else. One picker serves every message.

export class BoostPicker {
  constructor(room) {
    this.room = room;
    this.el = document.getElementById("boost-picker");
    this.form = this.el.querySelector("form");
    this.input = this.el.querySelector("input");
    this.message = null;
    this.opener = null;
    this.el.addEventListener("click", (e) => {
      const b = e.target.closest("[data-boost]");
      if (b) this.pick(b.dataset.boost);
    });
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      const v = this.input.value.trim();
      if (v) this.pick(v);
    });
    // Escape anywhere closes it, and focus goes back where it came from;
    // so does focus leaving it (Tab past its last field, a click elsewhere).
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && !this.el.hidden) {
        e.preventDefault();
        e.stopPropagation();
        this.close(true);
      }
    }, true);
    this.el.addEventListener("focusout", (e) => {
      // (A click on the opener toggles it; that click does the closing.)
      if (!this.el.hidden && !this.el.contains(e.relatedTarget) && e.relatedTarget !== this.opener) this.close(false);
    });
    document.addEventListener("mousedown", (e) => {
      if (!this.el.hidden && !this.el.contains(e.target) && e.target !== this.opener && !this.opener?.contains(e.target)) this.close(false);
    });
    window.addEventListener("resize", () => this.close(false));
    room.scroller.addEventListener("scroll", () => this.place(), { passive: true });
  }

  open(message, opener) {
    if (this.message === message && !this.el.hidden) {
      this.close(true);
      return;
    }
    this.message = message;
    this.opener = opener;
    message.classList.add("message--menu");
    this.input.value = "";
    this.el.hidden = false;
    this.place();
    this.el.querySelector("[data-boost]").focus();
  }

  // place puts the picker by its button, inside the window.
  place() {
    if (this.el.hidden || !this.opener) return;
    const r = this.opener.getBoundingClientRect();
    if (r.bottom < 0 || r.top > window.innerHeight) {
      this.close(false);
      return;
    }
    const w = this.el.offsetWidth;
    const h = this.el.offsetHeight;
    const left = Math.max(8, Math.min(r.right - w, window.innerWidth - w - 8));
    const top = r.top - h - 6 >= 8 ? r.top - h - 6 : Math.min(r.bottom + 6, window.innerHeight - h - 8);
    this.el.style.left = `${left}px`;
    this.el.style.top = `${top}px`;
  }

  pick(content) {
    const message = this.message;
    this.close(true);
    if (message) this.room.boost(message, content);
  }

  close(refocus) {
    if (this.el.hidden) return;
    this.el.hidden = true;
    const message = this.message;
    this.message = null;
    if (message) message.classList.remove("message--menu");
    if (!refocus) return;
    // The opener is the shared toolbar's button, which may have moved on
    // with the toolbar; then the message itself takes focus.
    if (this.opener && this.opener.isConnected && message && message.contains(this.opener)) this.opener.focus();
    else if (message && message.isConnected) message.focus();
  }
}
