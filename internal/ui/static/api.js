// The JSON API, called with the session cookie. The server refuses
// cookie-authenticated writes from other origins, so same-origin is all
// these requests ever need.

export class APIError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// sentence makes an API message ("the file is larger than the 100 MB
// limit", a lowercase fragment as docs/api.md shows them) a sentence for
// people to read.
export function sentence(s) {
  const t = String(s || "").trim();
  if (t === "") return t;
  const cap = t[0].toUpperCase() + t.slice(1);
  return /[.!?…]$/.test(cap) ? cap : cap + ".";
}

export async function api(method, path, body) {
  const opts = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch {
    throw new APIError(0, "offline", "Couldn't reach the server. Check your connection and try again.");
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    // an empty or non-JSON body; the status says enough
  }
  if (!res.ok) {
    const err = data && data.error ? data.error : {};
    throw new APIError(res.status, err.code || "error", err.message ? sentence(err.message) : `That didn't work (${res.status}).`);
  }
  return data;
}
