// The page's state and actions: conversations, the shown thread, turns, live changes.
import { isMissingRoute } from "./api.js";
import { applyChange } from "./changes.js";
import { confirmDialog, settingsDialog, showMenu, toast } from "./dialogs.js";
import { ChangeStream } from "./live.js";
import { ReplyFollower } from "./replies.js";
import { openHit, searchAll } from "./search.js";
import { Sidebar } from "./sidebar.js";
import { ThreadView, thoughtTimes } from "./thread.js";
import { editMessage, regenerateReply, sendMessage, stopReply, switchBranch } from "./turns.js";

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;

function byNewest(a, b) {
  return a.updated_at < b.updated_at ? 1 : a.updated_at > b.updated_at ? -1 : 0;
}

export class ChatApp {
  constructor(api, ui) {
    this.api = api;
    this.ui = ui; // {streamingChanged(), conversationChanged()} from main.js
    this.conversations = [];
    this.current = null; // the shown Conversation (without messages), null for a new chat
    this.messages = []; // its current path
    this.followers = new Map(); // reply id -> ReplyFollower
    this.streamingIn = new Set(); // conversation ids with a reply streaming (as far as we know)
    this.busy = false; // a send/edit/regenerate/switch is under way
    this.features = { search: null, settings: false, tree: false };
    this.defaultModel = null;
    this.models = [];
    this.refreshTimer = null;
    this.searchSeq = 0;
    this.thread = new ThreadView($("messages"), $("chat"), $("to-latest"), {
      edit: (m, text) => this.edit(m, text),
      regenerate: (m) => this.regenerate(m),
      switchTo: (id) => this.switchTo(id),
      canRegenerate: (m) => this.canRegenerate(m),
      busy: () => this.busy || this.isStreaming(),
    });
    this.sidebar = new Sidebar($("conversations"), $("search-results"), {
      open: (id) => this.open(id),
      menu: (id, anchor) => this.conversationMenu(id, anchor),
      rename: (id, title) => this.rename(id, title),
      redraw: () => this.renderSidebar(),
      openHit: (hit) => this.openHit(hit),
    });
    this.changes = new ChangeStream(api, {
      onReady: () => this.readyResolve?.(),
      onReset: () => this.reloadAll(),
      onChange: (kind, data) => this.onChange(kind, data),
      onState: (state) => {
        this.ui.connectionChanged(state);
        // The browser does not say why a stream was refused: a restarted server has a new
        // token, and any call finds out (401 shows the token form).
        if (state === "offline") this.api.get("/api/settings").catch(() => {});
      },
    });
  }

  // -- start-up -------------------------------------------------------------------------------

  async start() {
    const ready = new Promise((resolve) => { this.readyResolve = resolve; });
    this.changes.start();
    // Load after the change stream is subscribed, so no change falls between the two.
    await Promise.race([ready, new Promise((resolve) => setTimeout(resolve, 3000))]);
    await this.loadList();
    this.loadDefaults();
    await this.openFromAddress();
  }

  stop() {
    this.changes.stop();
    for (const follower of this.followers.values()) follower.close();
    this.followers.clear();
  }

  async loadDefaults() {
    try {
      const settings = await this.api.get("/api/settings");
      this.defaultModel = settings.model || settings.provider || null;
    } catch { this.defaultModel = null; }
    this.ui.conversationChanged();
  }

  async loadList() {
    this.conversations = (await this.api.get("/api/conversations")).sort(byNewest);
    this.renderSidebar();
  }

  async reloadAll() {
    try {
      await this.loadList();
      if (this.current) await this.open(this.current.id, { keepAddress: true });
    } catch (error) { this.report(error); }
  }

  async openFromAddress() {
    const id = decodeURIComponent(window.location.hash.slice(1));
    if (id) await this.open(id, { keepAddress: true });
    else this.newChat({ keepAddress: true });
  }

  // -- the list ---------------------------------------------------------------------------------

  renderSidebar() {
    this.sidebar.render(this.conversations, this.current?.id, this.streamingIn);
  }

  upsertConversation(conversation) {
    const at = this.conversations.findIndex((c) => c.id === conversation.id);
    if (at >= 0) this.conversations[at] = { ...this.conversations[at], ...conversation };
    else this.conversations.push(conversation);
    this.conversations.sort(byNewest);
    if (this.current && this.current.id === conversation.id) {
      this.current = { ...this.current, ...conversation };
      this.ui.conversationChanged();
    }
    this.renderSidebar();
  }

  conversationMenu(id, anchor) {
    const conversation = this.conversations.find((c) => c.id === id);
    if (!conversation) return;
    showMenu(anchor, [
      { label: "Rename", icon: "rename", run: () => this.startRename(conversation) },
      { label: "Export as Markdown", icon: "download", run: () => this.exportConversation(conversation, "markdown") },
      { label: "Export as JSON", icon: "download", run: () => this.exportConversation(conversation, "json") },
      { label: "Delete", icon: "trash", danger: true, run: () => this.remove(id) },
    ]);
  }

  startRename(conversation) {
    if (this.current?.id === conversation.id && this.ui.renameInHeader) this.ui.renameInHeader();
    else this.sidebar.startRename(conversation);
  }

  async rename(id, title) {
    try {
      this.upsertConversation(await this.api.patch(`/api/conversations/${enc(id)}`, { title }));
    } catch (error) { this.report(error); this.renderSidebar(); }
  }

  async remove(id) {
    const conversation = this.conversations.find((c) => c.id === id);
    const ok = await confirmDialog({ title: "Delete this chat?", confirm: "Delete", danger: true,
      text: `“${conversation ? conversation.title : "This chat"}” and all its messages will be deleted.` });
    if (!ok) return;
    try {
      await this.api.delete(`/api/conversations/${enc(id)}`);
    } catch (error) {
      if (error.status !== 404) { this.report(error); return; }
    }
    this.forget(id);
  }

  forget(id) {
    this.conversations = this.conversations.filter((c) => c.id !== id);
    this.streamingIn.delete(id);
    if (this.current?.id === id) this.newChat();
    else this.renderSidebar();
  }

  async exportConversation(conversation, format) {
    const extension = format === "markdown" ? "md" : "json";
    try {
      await this.api.download(`/api/conversations/${enc(conversation.id)}/export?format=${format}`, `${conversation.title}.${extension}`);
    } catch (error) {
      if (isMissingRoute(error)) toast("This server cannot export yet (it has no export route).");
      else this.report(error);
    }
  }

  // -- the shown conversation ---------------------------------------------------------------

  newChat({ keepAddress = false } = {}) {
    this.closeFollowers();
    this.current = null;
    this.messages = [];
    this.thread.clear();
    if (!keepAddress && window.location.hash) window.history.pushState(null, "", window.location.pathname + window.location.search);
    this.renderSidebar();
    this.ui.conversationChanged();
  }

  async open(id, { keepAddress = false, scrollTo = null } = {}) {
    let detail;
    try {
      detail = await this.api.get(`/api/conversations/${enc(id)}`);
    } catch (error) {
      if (error.status === 404) {
        toast("That conversation does not exist (any more).");
        this.forget(id);
        this.newChat({ keepAddress: false });
        return;
      }
      this.report(error);
      return;
    }
    this.showDetail(detail);
    if (!keepAddress && window.location.hash.slice(1) !== enc(id)) window.history.pushState(null, "", `#${enc(id)}`);
    if (scrollTo) this.thread.scrollTo(scrollTo);
    else this.thread.scrollToBottom();
  }

  /** Show a `Conversation + {messages}` answer (GET, PUT head). */
  showDetail(detail) {
    const { messages, ...conversation } = detail;
    const switching = this.current?.id !== conversation.id;
    if (switching) { this.closeFollowers(); this.thread.clear(); }
    this.current = conversation;
    this.detectFeatures(conversation, messages);
    this.setMessages(messages);
    this.upsertConversation(conversation);
    this.ui.conversationChanged();
  }

  /** What this backend has, from the answers' fields (PROTOCOL.md sections 7 and 11). */
  detectFeatures(conversation, messages = []) {
    this.features.settings = "model" in conversation && "system_prompt" in conversation;
    this.features.tree = "head_id" in conversation || messages.some((m) => Array.isArray(m.siblings));
  }

  setMessages(messages) {
    this.messages = messages;
    const shown = new Set(messages.map((m) => m.id));
    for (const [id, follower] of this.followers) {
      if (!shown.has(id)) { follower.close(); this.followers.delete(id); }
    }
    this.thread.show(messages);
    for (const message of messages) {
      if (message.role === "assistant" && message.status === "streaming") this.follow(message);
    }
    this.streamingChanged();
  }

  scheduleRefresh() {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(async () => {
      if (!this.current || this.busy) return;
      try {
        const detail = await this.api.get(`/api/conversations/${enc(this.current.id)}`);
        if (this.current && detail.id === this.current.id && !this.busy) this.showDetail(detail);
      } catch (error) {
        if (error.status === 404 && this.current) this.forget(this.current.id);
      }
    }, 80);
  }

  isStreaming() {
    return this.messages.some((m) => m.role === "assistant" && m.status === "streaming");
  }

  streamingChanged() {
    if (this.current) {
      if (this.isStreaming()) this.streamingIn.add(this.current.id);
      else this.streamingIn.delete(this.current.id);
    }
    this.thread.refreshActions();
    this.renderSidebar();
    this.ui.streamingChanged();
  }

  canRegenerate(message) {
    if (message.role !== "assistant") return false;
    if (this.features.tree) return true;
    const last = this.messages[this.messages.length - 1];
    return last !== undefined && last.id === message.id; // an older backend: the last reply only
  }

  // -- following replies ----------------------------------------------------------------------

  follow(reply) {
    if (this.followers.has(reply.id)) return;
    const follower = new ReplyFollower(this.api, reply, {
      onUpdate: () => this.thread.view(reply.id)?.schedule(),
      onEnd: (message) => this.replyEnded(follower, message),
      onFail: (message, detail) => this.replyEnded(follower, { ...message, status: "failed", error: message.error || detail }),
      onGone: () => { this.followers.delete(reply.id); this.scheduleRefresh(); },
      onState: (state) => this.ui.replyState?.(state),
    });
    this.followers.set(reply.id, follower);
    this.thread.view(reply.id)?.follow(follower);
    follower.start();
  }

  replyEnded(follower, message) {
    const seconds = follower.thoughtSeconds();
    if (seconds) thoughtTimes.set(message.id, seconds);
    this.followers.delete(message.id);
    this.replaceMessage(message);
    const view = this.thread.view(message.id);
    if (view) { view.follow(null); view.update(message); }
    this.streamingChanged();
  }

  replaceMessage(message) {
    const at = this.messages.findIndex((m) => m.id === message.id);
    if (at >= 0) this.messages[at] = { ...this.messages[at], ...message };
    return at;
  }

  closeFollowers() {
    for (const follower of this.followers.values()) follower.close();
    this.followers.clear();
  }

  // -- turns (turns.js) ---------------------------------------------------------------------------

  send(text) { return sendMessage(this, text); }

  edit(message, text) { return editMessage(this, message, text); }

  regenerate(message) { return regenerateReply(this, message); }

  stop() { return stopReply(this); }

  switchTo(messageId) { return switchBranch(this, messageId); }

  lastOf(role) {
    for (let i = this.messages.length - 1; i >= 0; i -= 1) if (this.messages[i].role === role) return this.messages[i];
    return null;
  }

  // -- conversation settings (PROTOCOL.md section 11) ---------------------------------------

  async editSettings() {
    if (!this.current || !this.features.settings) return;
    if (!this.models.length) {
      try { this.models = (await this.api.get("/api/provider/models")).models || []; } catch { this.models = []; }
    }
    const answer = await settingsDialog({ model: this.current.model, systemPrompt: this.current.system_prompt,
      defaultModel: this.defaultModel, models: this.models });
    if (!answer) return;
    try {
      this.upsertConversation(await this.api.patch(`/api/conversations/${enc(this.current.id)}`, answer));
    } catch (error) { this.report(error); }
  }

  // -- search (search.js) and live changes from other clients (changes.js) --------------------

  search(query) { return searchAll(this, query); }

  openHit(hit) { return openHit(this, hit); }

  onChange(kind, data) { applyChange(this, kind, data); }

  report(error) {
    if (error && error.status === 401) return; // main.js shows the token form
    toast(error && error.detail ? error.detail : String(error));
  }
}
