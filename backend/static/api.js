// The backend's HTTP API (PROTOCOL.md), with the token on every call.

export class ApiError extends Error {
  constructor(status, detail, path) {
    super(detail);
    this.status = status;
    this.detail = detail;
    this.path = path;
  }
}

/** True when the route itself does not exist on this server (an older backend). */
export function isMissingRoute(error) {
  return (
    error instanceof ApiError &&
    ((error.status === 404 && error.detail === "Not Found") ||
      (error.status === 405 && error.detail === "Method Not Allowed"))
  );
}

export class Api {
  constructor(token) {
    this.token = token || "";
    /** Called with the error when the server refuses the token (401). */
    this.onUnauthorized = null;
  }

  headers(extra = {}) {
    const headers = { Accept: "application/json", ...extra };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    return headers;
  }

  async request(method, path, body) {
    const init = {
      method,
      headers: this.headers(body === undefined ? {} : { "Content-Type": "application/json" }),
      cache: "no-store",
      credentials: "omit",
      redirect: "error",
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    let response;
    try {
      response = await fetch(path, init);
    } catch {
      throw new ApiError(0, "The server cannot be reached. Is sse-chat serve still running?", path);
    }
    if (response.status === 204) return null;
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      const detail = data && typeof data.detail === "string" ? data.detail : `HTTP ${response.status}`;
      const error = new ApiError(response.status, detail, path);
      if (response.status === 401 && this.onUnauthorized) this.onUnauthorized(error);
      throw error;
    }
    return data;
  }

  get(path) { return this.request("GET", path); }
  post(path, body) { return this.request("POST", path, body); }
  patch(path, body) { return this.request("PATCH", path, body); }
  put(path, body) { return this.request("PUT", path, body); }
  delete(path) { return this.request("DELETE", path); }

  /** A same-origin URL for `EventSource` (which cannot send headers): `?token=` added. */
  streamUrl(path, params = {}) {
    const url = new URL(path, window.location.origin);
    if (this.token) url.searchParams.set("token", this.token);
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
    }
    return url.pathname + url.search;
  }

  /** Download `path` as a file (the token in a header, never in a link). */
  async download(path, fallbackName) {
    let response;
    try {
      response = await fetch(path, { headers: this.headers({ Accept: "*/*" }), cache: "no-store", credentials: "omit" });
    } catch {
      throw new ApiError(0, "The server cannot be reached", path);
    }
    if (!response.ok) {
      let detail = `HTTP ${response.status}`;
      try {
        detail = (await response.json()).detail || detail;
      } catch { /* not JSON */ }
      throw new ApiError(response.status, detail, path);
    }
    const disposition = response.headers.get("Content-Disposition") || "";
    const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
    const name = match ? decodeURIComponent(match[1]) : fallbackName;
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
