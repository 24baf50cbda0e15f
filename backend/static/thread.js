// The messages of the shown conversation: one view per message, updated in place.
import { icon, iconButton } from "./icons.js";
import { copyText, flashCopied, renderMarkdown } from "./markdown.js";
import { partsOf } from "./replies.js";

const FOLD_CHARS = 3000;
const FOLD_LINES = 40;

/** Seconds each reply spent reasoning, when this tab saw it live (message id -> s). */
export const thoughtTimes = new Map();

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function seconds(ms) {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** "llama3.2 · 42 tok/s · 3.1 s" from what the message carries. */
export function metaLine(message) {
  const bits = [];
  if (message.model) bits.push(message.model);
  const stats = message.stats;
  if (stats && stats.duration_ms) {
    const generating = stats.duration_ms - (stats.first_token_ms || 0);
    if (stats.completion_tokens && generating > 0) {
      bits.push(`${Math.round(stats.completion_tokens / (generating / 1000))} tok/s`);
    }
    bits.push(seconds(stats.duration_ms));
  }
  return bits.join(" · ");
}

/** True when `a` and `b` would look the same (so a view need not render again). */
function sameShown(a, b) {
  return a.content === b.content && a.status === b.status && a.error === b.error &&
    a.model === b.model && String(a.siblings) === String(b.siblings) &&
    JSON.stringify(a.parts) === JSON.stringify(b.parts) && JSON.stringify(a.stats) === JSON.stringify(b.stats);
}

export class MessageView {
  /** `actions`: {edit(m, text), regenerate(m), switchTo(id), canRegenerate(m), busy(), rendered()} */
  constructor(message, actions) {
    this.actions = actions;
    this.message = message;
    this.follower = null;
    this.editing = false;
    this.unfolded = false;
    this.frame = 0;
    this.cost = 0;
    this.timer = null;
    this.el = el("article", `msg msg-${message.role}`);
    this.el.dataset.id = message.id;
    this.content = el("div", message.role === "user" ? "user-content" : "content");
    this.status = el("div", "status-area");
    this.actionRow = el("div", "actions");
    this.el.append(this.content, this.status, this.actionRow);
    this.render();
  }

  get id() { return this.message.id; }

  /** The stored state of the message (from the server). */
  update(message) {
    const before = this.message;
    this.message = message;
    if (before !== message && sameShown(before, message) && this.el.dataset.status === message.status) return;
    this.schedule(); // data-status follows with the render, so it never runs ahead of the text
  }

  /** Show a live reply's text as it arrives (null: back to the stored text). */
  follow(follower) {
    this.follower = follower;
    this.schedule();
  }

  parts() {
    if (this.follower && this.follower.received) return this.follower.parts();
    return partsOf(this.message, this.message.status === "streaming");
  }

  streaming() {
    return this.message.status === "streaming" && !(this.follower && this.follower.closed);
  }

  schedule() {
    if (this.frame) return;
    const run = () => {
      this.frame = 0;
      const started = performance.now();
      this.render();
      this.cost = performance.now() - started;
      this.actions.rendered?.(this);
    };
    // A long reply costs more per render: leave the page time to breathe between them.
    if (this.cost > 12) this.frame = setTimeout(() => requestAnimationFrame(run), Math.min(400, this.cost * 3));
    else this.frame = requestAnimationFrame(run);
  }

  render() {
    this.el.dataset.status = this.message.status;
    if (this.message.role === "user") this.renderUser();
    else this.renderAssistant();
    this.renderActions();
  }

  // -- user messages ----------------------------------------------------------------------

  renderUser() {
    if (this.editing) return;
    const text = this.message.content;
    const bubble = el("div", "bubble", text);
    const lines = text.split("\n").length;
    const long = text.length > FOLD_CHARS || lines > FOLD_LINES;
    const nodes = [bubble];
    if (long) {
      bubble.classList.toggle("folded", !this.unfolded);
      const toggle = el("button", "show-all", this.unfolded ? "Show less" : `Show all (${lines} lines, ${text.length} characters)`);
      toggle.type = "button";
      toggle.addEventListener("click", () => { this.unfolded = !this.unfolded; this.render(); });
      nodes.push(toggle);
    }
    this.content.replaceChildren(...nodes);
  }

  startEdit() {
    if (this.message.role !== "user" || this.editing) return;
    this.editing = true;
    const box = el("div", "edit-box");
    const area = el("textarea");
    area.value = this.message.content;
    area.setAttribute("aria-label", "Edit your message");
    const buttons = el("div", "buttons");
    const cancel = el("button", "secondary", "Cancel");
    cancel.type = "button";
    const send = el("button", "primary", "Send");
    send.type = "button";
    buttons.append(cancel, send);
    box.append(area, buttons);
    this.content.replaceChildren(box);
    const finish = () => { this.editing = false; this.render(); };
    cancel.addEventListener("click", finish);
    const submit = async () => {
      const text = area.value;
      if (!text.trim()) return;
      if (await this.actions.edit(this.message, text)) finish();
    };
    send.addEventListener("click", submit);
    area.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); submit(); }
      if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); finish(); }
    });
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
  }

  // -- assistant messages -------------------------------------------------------------------

  renderAssistant() {
    const parts = this.parts();
    const streaming = this.streaming();
    const nodes = [...this.content.children];
    let index = 0;
    const answerStarted = parts.some((p) => p.type === "text" && p.text);
    for (const part of parts) {
      let node = nodes[index];
      if (part.type === "reasoning") {
        if (!node || node.tagName !== "DETAILS") {
          node = this.reasoningBlock();
          this.content.insertBefore(node, nodes[index] || null);
          nodes.splice(index, 0, node);
        }
        const live = streaming && !answerStarted && index === parts.length - 1;
        this.updateReasoning(node, part.text, live);
      } else {
        if (!node || !node.classList.contains("md")) {
          node = el("div", "md body");
          this.content.insertBefore(node, nodes[index] || null);
          nodes.splice(index, 0, node);
        }
        if (node.source !== part.text) {
          node.replaceChildren(renderMarkdown(part.text));
          node.source = part.text;
        }
      }
      index += 1;
    }
    for (const extra of nodes.slice(index)) extra.remove();
    if (streaming && !parts.length) {
      const dots = el("div", "typing");
      dots.setAttribute("aria-label", "Waiting for the reply");
      dots.append(el("span"), el("span"), el("span"));
      this.content.append(dots);
    }
    this.renderStatus();
  }

  reasoningBlock() {
    const details = el("details", "reasoning");
    const summary = el("summary");
    const body = el("div", "reasoning-body md");
    details.append(summary, body);
    details.addEventListener("toggle", () => {
      if (details.open && body.source !== details.pending) {
        body.replaceChildren(renderMarkdown(details.pending));
        body.source = details.pending;
      }
    });
    return details;
  }

  updateReasoning(details, text, live) {
    details.pending = text;
    details.classList.toggle("live", live);
    const summary = details.firstChild;
    clearInterval(this.timer);
    if (live) {
      const started = Date.parse(this.message.created_at);
      const tick = () => {
        const s = Number.isNaN(started) ? 0 : Math.max(0, Math.round((Date.now() - started) / 1000));
        summary.textContent = `Thinking… ${s} s`;
      };
      tick();
      this.timer = setInterval(tick, 1000);
    } else {
      const known = this.follower?.thoughtSeconds?.() ?? thoughtTimes.get(this.id);
      if (known) thoughtTimes.set(this.id, known);
      summary.textContent = known ? `Thought for ${known} s` : "Reasoning";
    }
    const body = details.lastChild;
    if (details.open && body.source !== text) {
      body.replaceChildren(renderMarkdown(text));
      body.source = text;
    }
  }

  renderStatus() {
    const { status } = this.message;
    const nodes = [];
    if (status === "cancelled") nodes.push(el("div", "note", "Stopped"));
    if (status === "interrupted") nodes.push(el("div", "note", "Interrupted: the server stopped while this reply was streaming"));
    if (status === "failed") {
      const card = el("div", "error-card");
      const reason = el("div", "reason");
      reason.append(el("strong", "", "The reply failed. "), document.createTextNode(this.message.error || "No reason was given."));
      card.append(reason);
      if (this.actions.canRegenerate(this.message)) {
        const retry = el("button", "secondary", "Retry");
        retry.type = "button";
        retry.addEventListener("click", () => this.actions.regenerate(this.message));
        card.append(retry);
      }
      nodes.push(card);
    }
    this.status.replaceChildren(...nodes);
  }

  // -- the row of actions -------------------------------------------------------------------

  renderActions() {
    const row = [];
    const message = this.message;
    const busy = this.actions.busy();
    if (!this.streaming()) {
      const copy = iconButton("copy", message.role === "user" ? "Copy the message" : "Copy the reply (Markdown)");
      copy.addEventListener("click", async () => {
        const ok = await copyText(message.content);
        copy.replaceChildren(icon(ok ? "check" : "copy"));
        setTimeout(() => copy.replaceChildren(icon("copy")), 1500);
      });
      row.push(copy);
      if (message.role === "user" && !busy) {
        row.push(iconButton("edit", "Edit and send again", () => this.startEdit()));
      }
      if (message.role === "assistant" && !busy && this.actions.canRegenerate(message)) {
        row.push(iconButton("regenerate", "Regenerate", () => this.actions.regenerate(message)));
      }
    }
    const siblings = Array.isArray(message.siblings) ? message.siblings : [];
    if (siblings.length > 1) {
      const at = siblings.indexOf(message.id);
      const branches = el("span", "branches");
      const prev = iconButton("chevron-left", "Previous version", () => this.actions.switchTo(siblings[at - 1]));
      const next = iconButton("chevron-right", "Next version", () => this.actions.switchTo(siblings[at + 1]));
      prev.disabled = at <= 0 || busy;
      next.disabled = at >= siblings.length - 1 || busy;
      const label = el("span", "branch-label", `${at + 1}/${siblings.length}`);
      branches.append(prev, label, next);
      row.push(branches);
    }
    if (message.role === "assistant" && !this.streaming()) {
      const meta = metaLine(message);
      if (meta) row.push(el("span", "meta", meta));
    }
    this.actionRow.replaceChildren(...row);
  }

  destroy() {
    clearInterval(this.timer);
    if (this.frame) { cancelAnimationFrame(this.frame); clearTimeout(this.frame); }
    this.el.remove();
  }
}

export class ThreadView {
  constructor(container, scroller, latestButton, actions) {
    this.container = container;
    this.scroller = scroller;
    this.latest = latestButton;
    this.actions = { ...actions, rendered: () => this.afterRender() };
    this.views = new Map();
    this.stick = true;
    scroller.addEventListener("scroll", () => {
      const gap = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
      this.stick = gap < 48;
      this.latest.hidden = this.stick || !this.views.size;
    }, { passive: true });
    latestButton.addEventListener("click", () => this.scrollToBottom());
  }

  view(id) { return this.views.get(id); }

  /** Show exactly `messages`, in order, reusing the views of messages already shown. */
  show(messages) {
    const keep = new Set(messages.map((m) => m.id));
    for (const [id, view] of this.views) {
      if (!keep.has(id)) { view.destroy(); this.views.delete(id); }
    }
    let previous = null;
    for (const message of messages) {
      let view = this.views.get(message.id);
      if (!view) {
        view = new MessageView(message, this.actions);
        this.views.set(message.id, view);
      } else {
        view.update(message);
      }
      const after = previous ? previous.nextSibling : this.container.firstChild;
      if (after !== view.el) this.container.insertBefore(view.el, after);
      previous = view.el;
    }
    this.markLast(messages);
    this.afterRender();
  }

  markLast(messages) {
    const lastId = messages.length ? messages[messages.length - 1].id : null;
    for (const [id, view] of this.views) view.el.classList.toggle("last", id === lastId);
  }

  /** Re-render every row of actions (the busy state changed). */
  refreshActions() {
    for (const view of this.views.values()) view.renderActions();
  }

  clear() {
    for (const view of this.views.values()) view.destroy();
    this.views.clear();
    this.stick = true;
    this.latest.hidden = true;
  }

  afterRender() {
    if (this.stick) this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  scrollToBottom() {
    this.stick = true;
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.latest.hidden = true;
  }

  scrollTo(id) {
    const view = this.views.get(id);
    if (!view) return false;
    this.stick = false;
    view.el.scrollIntoView({ block: "center" });
    view.el.classList.add("found");
    setTimeout(() => view.el.classList.remove("found"), 2000);
    return true;
  }
}
