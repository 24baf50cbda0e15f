// Following one reply with the browser's own EventSource (PROTOCOL.md section 4).
//
// A dropped connection is resumed by the browser itself: it reconnects after the server's
// `retry:` and sends `Last-Event-ID`, so the server continues where the stream stopped and
// nothing is lost or doubled. When the browser gives up (the server answered an error), the
// follower checks the reply's state and, if it still streams, opens a new stream from the
// last id it saw (`?last_event_id=`).

/** Split a reply written by a backend without reasoning parts: a leading <think> block. */
export function splitThink(text, streaming = false) {
  const open = /^\s*<(think|thinking)>/.exec(text);
  if (!open) {
    if (streaming && /^\s*<(?:t(?:h(?:i(?:n(?:k(?:i(?:n(?:g)?)?)?)?)?)?)?)?$/.test(text)) return [];
    return text ? [{ type: "text", text }] : [];
  }
  const close = `</${open[1]}>`;
  const end = text.indexOf(close, open[0].length);
  if (end < 0) return [{ type: "reasoning", text: text.slice(open[0].length) }];
  const parts = [{ type: "reasoning", text: text.slice(open[0].length, end) }];
  const rest = text.slice(end + close.length).replace(/^\s+/, "");
  if (rest) parts.push({ type: "text", text: rest });
  return parts;
}

/** The parts of a message (PROTOCOL.md section 8), also from a backend that has none. */
export function partsOf(message, streaming = false) {
  if (Array.isArray(message.parts) && message.parts.length) {
    return message.parts.map((part) => ({ type: part.type, text: part.text }));
  }
  if (message.role !== "assistant") return [{ type: "text", text: message.content }];
  if (message.reasoning) {
    const parts = [{ type: "reasoning", text: message.reasoning }];
    if (message.content) parts.push({ type: "text", text: message.content });
    return parts;
  }
  return splitThink(message.content || "", streaming);
}

const RECOVER_MS = [1000, 2000, 4000, 8000];

export class ReplyFollower {
  /**
   * @param api       the Api (for the token and for checks)
   * @param reply     the reply's Message (status "streaming")
   * @param handlers  {onUpdate(follower), onEnd(message), onFail(message, detail), onGone(), onState(state)}
   */
  constructor(api, reply, handlers) {
    this.api = api;
    this.reply = reply;
    this.handlers = handlers;
    this.hasParts = "parts" in reply; // the backend sends reasoning as its own events
    this.chunks = []; // [{type, text}] as received, merged by type
    this.lastId = "";
    this.received = false;
    this.source = null;
    this.closed = false;
    this.attempt = 0;
    this.timer = null;
    this.textStarted = null; // Date.now() of the first answer text after reasoning
    this.thinkingUnknown = false;
  }

  get id() { return this.reply.id; }

  /** The parts so far (a backend without parts: split from the text). */
  parts() {
    if (this.hasParts) return this.chunks.map((c) => ({ ...c }));
    return splitThink(this.chunks.map((c) => c.text).join(""), true);
  }

  start(lastId = "") {
    if (this.closed) return;
    const url = this.api.streamUrl(`/api/messages/${encodeURIComponent(this.id)}/events`,
      lastId ? { last_event_id: lastId } : {});
    const source = new EventSource(url);
    this.source = source;
    source.addEventListener("open", () => {
      this.attempt = 0;
      this.handlers.onState?.("streaming");
    });
    source.addEventListener("delta", (event) => this.take(event, "text"));
    source.addEventListener("reasoning", (event) => this.take(event, "reasoning"));
    source.addEventListener("end", (event) => {
      const data = JSON.parse(event.data);
      this.close();
      this.handlers.onEnd(data.message);
    });
    source.addEventListener("error", (event) => {
      if (event instanceof MessageEvent && typeof event.data === "string" && event.data) {
        let data = {};
        try { data = JSON.parse(event.data); } catch { data = {}; }
        this.close();
        this.handlers.onFail(data.message || { ...this.reply, status: "failed" }, data.detail || "The reply failed");
        return;
      }
      if (source.readyState === EventSource.CLOSED) {
        this.handlers.onState?.("reconnecting");
        this.recover();
      } else {
        this.handlers.onState?.("reconnecting"); // the browser reconnects by itself
      }
    });
  }

  take(event, type) {
    if (event.lastEventId) this.lastId = event.lastEventId;
    let text = "";
    try { text = JSON.parse(event.data).text || ""; } catch { return; }
    if (!text) return;
    const first = !this.received;
    const kind = this.hasParts ? type : "text";
    const last = this.chunks[this.chunks.length - 1];
    if (last && last.type === kind) last.text += text;
    else this.chunks.push({ type: kind, text });
    this.received = true;
    this.timeThinking(first);
    this.handlers.onUpdate(this);
  }

  /** When the answer's text began after reasoning seen live (for "Thought for N s"). */
  timeThinking(first) {
    if (this.textStarted !== null || this.thinkingUnknown) return;
    const parts = this.parts();
    if (!parts.length || parts[0].type !== "reasoning") return;
    if (parts.some((p) => p.type === "text" && p.text)) {
      if (first) this.thinkingUnknown = true; // it all came at once (a replay): not timed
      else this.textStarted = Date.now();
    }
  }

  /** Seconds spent reasoning (from the reply's start to its first answer text), or null. */
  thoughtSeconds() {
    const started = Date.parse(this.reply.created_at);
    if (this.textStarted === null || Number.isNaN(started)) return null;
    return Math.max(1, Math.round((this.textStarted - started) / 1000));
  }

  async recover() {
    if (this.closed) return;
    this.source?.close();
    const delay = RECOVER_MS[Math.min(this.attempt, RECOVER_MS.length - 1)];
    this.attempt += 1;
    this.timer = setTimeout(async () => {
      if (this.closed) return;
      let conversation;
      try {
        conversation = await this.api.get(`/api/conversations/${encodeURIComponent(this.reply.conversation_id)}`);
      } catch (error) {
        if (error.status === 404) { this.close(); this.handlers.onGone?.(); return; }
        this.recover(); // the server is away: try again later
        return;
      }
      const stored = (conversation.messages || []).find((m) => m.id === this.id);
      if (!stored && !(await this.stillExists())) { this.close(); this.handlers.onGone?.(); return; }
      if (stored && stored.status !== "streaming") {
        this.close();
        if (stored.status === "failed") this.handlers.onFail(stored, stored.error || "The reply failed");
        else this.handlers.onEnd(stored);
        return;
      }
      this.start(this.lastId);
    }, delay);
  }

  async stillExists() {
    // A reply off the current path (another branch) is still followed.
    try {
      const tree = await this.api.get(`/api/conversations/${encodeURIComponent(this.reply.conversation_id)}/tree`);
      return (tree.messages || []).some((m) => m.id === this.id);
    } catch {
      return false;
    }
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    this.source?.close();
    this.source = null;
  }
}
