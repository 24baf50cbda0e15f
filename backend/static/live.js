// The global change stream, `GET /api/events` (docs/API-EXTENSIONS.md): what other clients
// (the desktop window, another tab, curl) change, as it happens. Resumed by the browser
// with Last-Event-ID; `reset` means "reload everything", `ready` "you are up to date".

const KINDS = ["conversation.created", "conversation.updated", "conversation.deleted",
  "message.created", "message.updated"];

export class ChangeStream {
  /**
   * @param api       the Api
   * @param handlers  {onReady(), onReset(), onChange(kind, data), onState("online"|"connecting"|"offline")}
   */
  constructor(api, handlers) {
    this.api = api;
    this.handlers = handlers;
    this.source = null;
    this.lastId = "";
    this.timer = null;
    this.failures = 0;
    this.stopped = false;
  }

  start() {
    if (this.stopped) return;
    const source = new EventSource(this.api.streamUrl("/api/events", this.lastId ? { last_event_id: this.lastId } : {}));
    this.source = source;
    const remember = (event) => { if (event.lastEventId) this.lastId = event.lastEventId; };
    source.addEventListener("open", () => {
      this.failures = 0;
      this.handlers.onState("online");
    });
    source.addEventListener("ready", (event) => { remember(event); this.handlers.onReady(); });
    source.addEventListener("reset", (event) => { remember(event); this.handlers.onReset(); });
    for (const kind of KINDS) {
      source.addEventListener(kind, (event) => {
        remember(event);
        let data;
        try { data = JSON.parse(event.data); } catch { return; }
        this.handlers.onChange(kind, data);
      });
    }
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) {
        // The server refused (e.g. restarted with a new token) or is gone: retry slowly.
        this.handlers.onState("offline");
        this.failures += 1;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.start(), Math.min(30_000, 1000 * 2 ** Math.min(this.failures, 5)));
      } else {
        this.handlers.onState("connecting");
      }
    });
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.source?.close();
  }
}
