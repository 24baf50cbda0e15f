// The conversation list (grouped by date) and the search results, in the sidebar.
import { groupByDate } from "./dates.js";
import { iconButton } from "./icons.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class Sidebar {
  /** `actions`: {open(id), menu(id, anchor), rename(id, title)} */
  constructor(listElement, resultsElement, actions) {
    this.list = listElement;
    this.results = resultsElement;
    this.actions = actions;
    this.renaming = null;
  }

  /** Draw `conversations` (newest first); `current` is highlighted, `streaming` a Set of ids. */
  render(conversations, current, streaming) {
    if (this.renaming) return; // keep the open rename box; redrawn when it closes
    if (!conversations.length) {
      this.list.replaceChildren(el("p", "list-empty", "No conversations yet."));
      return;
    }
    const nodes = [];
    for (const group of groupByDate(conversations)) {
      nodes.push(el("div", "group-label", group.label));
      for (const conversation of group.items) nodes.push(this.row(conversation, conversation.id === current, streaming.has(conversation.id)));
    }
    this.list.replaceChildren(...nodes);
  }

  row(conversation, current, streaming) {
    const row = el("div", `conversation${current ? " current" : ""}`);
    row.dataset.id = conversation.id;
    const link = el("a", "", conversation.title);
    link.href = `#${encodeURIComponent(conversation.id)}`;
    link.title = conversation.title;
    if (current) link.setAttribute("aria-current", "page");
    link.addEventListener("click", (event) => {
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      this.actions.open(conversation.id);
    });
    link.addEventListener("dblclick", (event) => { event.preventDefault(); this.startRename(conversation); });
    row.append(link);
    if (streaming) {
      const dot = el("span", "streaming-dot");
      dot.title = "A reply is streaming";
      row.append(dot);
    }
    const more = iconButton("more", "More", () => this.actions.menu(conversation.id, more));
    more.classList.add("row-menu");
    more.setAttribute("aria-haspopup", "menu");
    row.append(more);
    return row;
  }

  /** An inline box in the row to rename `conversation`. */
  startRename(conversation) {
    const row = this.list.querySelector(`.conversation[data-id="${CSS.escape(conversation.id)}"]`);
    if (!row) return;
    this.renaming = conversation.id;
    const input = el("input");
    input.value = conversation.title;
    input.setAttribute("aria-label", "New title");
    input.maxLength = 200;
    row.replaceChildren(input);
    input.focus();
    input.select();
    let done = false;
    const finish = (save) => {
      if (done) return;
      done = true;
      this.renaming = null;
      const title = input.value.trim();
      if (save && title && title !== conversation.title) this.actions.rename(conversation.id, title);
      else this.actions.redraw();
    };
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); finish(true); }
      if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); finish(false); }
    });
    input.addEventListener("blur", () => finish(true));
  }

  /** Search results: hits (PROTOCOL.md section 9) or, from an older backend, title matches. */
  showResults(query, hits, note) {
    this.list.hidden = true;
    this.results.hidden = false;
    const nodes = [];
    if (note) nodes.push(el("p", "list-empty", note));
    if (!hits.length) nodes.push(el("p", "list-empty", `Nothing found for “${query}”.`));
    for (const hit of hits) {
      const button = el("button", "hit");
      button.type = "button";
      button.dataset.conversation = hit.conversation_id;
      const title = el("span", "hit-title");
      const snippet = el("span", "hit-snippet");
      if (hit.message_id) {
        title.textContent = hit.conversation_title;
        appendHighlighted(snippet, hit.snippet || "", hit.highlights || []);
      } else {
        appendHighlighted(title, hit.conversation_title, hit.highlights || []);
        snippet.textContent = "Title";
      }
      button.append(title, snippet);
      button.addEventListener("click", () => this.actions.openHit(hit));
      nodes.push(button);
    }
    this.results.replaceChildren(...nodes);
  }

  hideResults() {
    this.results.hidden = true;
    this.results.replaceChildren();
    this.list.hidden = false;
  }
}

/** `text` into `parent` with `highlights` ([start, end] in code points) as <mark>s. */
export function appendHighlighted(parent, text, highlights) {
  const points = Array.from(text);
  const ranges = highlights
    .filter((r) => Array.isArray(r) && r.length === 2 && r[0] < r[1])
    .map(([a, b]) => [Math.max(0, a), Math.min(points.length, b)])
    .sort((x, y) => x[0] - y[0]);
  let at = 0;
  for (const [start, end] of ranges) {
    if (start < at) continue;
    if (start > at) parent.append(document.createTextNode(points.slice(at, start).join("")));
    parent.append(el("mark", "", points.slice(start, end).join("")));
    at = end;
  }
  if (at < points.length) parent.append(document.createTextNode(points.slice(at).join("")));
}

/** Title matches, for a backend without `GET /api/search`: each term, case-insensitively. */
export function titleHits(conversations, query) {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  return conversations
    .filter((c) => terms.every((t) => c.title.toLowerCase().includes(t)))
    .map((c) => {
      const lower = c.title.toLowerCase();
      const highlights = [];
      for (const term of terms) {
        const at = lower.indexOf(term);
        if (at >= 0) {
          const start = Array.from(c.title.slice(0, at)).length;
          highlights.push([start, start + Array.from(term).length]);
        }
      }
      return { conversation_id: c.id, conversation_title: c.title, message_id: null, role: null,
        created_at: c.updated_at, snippet: c.title, highlights };
    });
}
