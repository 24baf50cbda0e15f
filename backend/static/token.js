// The access token: taken from `?token=` once, kept in sessionStorage (this tab only), and
// removed from the address bar so it is not bookmarked, shared or left in the history.
const KEY = "sse-chat.token";
let memory = null; // when sessionStorage is unavailable

function read() {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return memory;
  }
}

/** Remember `token` for this tab (an empty one forgets it). */
export function saveToken(token) {
  memory = token || null;
  try {
    if (token) sessionStorage.setItem(KEY, token);
    else sessionStorage.removeItem(KEY);
  } catch {
    /* private mode without storage: memory only */
  }
}

export function forgetToken() {
  saveToken("");
}

/** The token of this tab: a `?token=` in the address wins (and leaves the address). */
export function takeToken() {
  const url = new URL(window.location.href);
  if (url.searchParams.has("token")) {
    const given = url.searchParams.get("token") || "";
    url.searchParams.delete("token");
    window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
    if (given) saveToken(given);
  }
  return read();
}
