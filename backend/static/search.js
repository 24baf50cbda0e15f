// Full-text search from the sidebar (PROTOCOL.md section 9), with a titles-only fallback for a
// server without the search route, and opening a hit (on its branch when it is on another one).
import { isMissingRoute } from "./api.js";
import { titleHits } from "./sidebar.js";

const enc = encodeURIComponent;

export async function searchAll(app, query) {
  const seq = ++app.searchSeq;
  const q = query.trim();
  if (!q) { app.sidebar.hideResults(); return; }
  if (app.features.search !== false) {
    try {
      const hits = await app.api.get(`/api/search?q=${enc(q)}&limit=50`);
      app.features.search = true;
      if (seq === app.searchSeq) app.sidebar.showResults(q, hits);
      return;
    } catch (error) {
      if (!isMissingRoute(error)) {
        if (seq === app.searchSeq && error.status !== 422) app.report(error);
        return;
      }
      app.features.search = false;
    }
  }
  let conversations = app.conversations;
  try {
    conversations = await app.api.get("/api/conversations");
  } catch { /* the list we have */ }
  if (seq === app.searchSeq) {
    app.sidebar.showResults(q, titleHits(conversations, q), "Titles only: this server has no full-text search.");
  }
}

export async function openHit(app, hit) {
  app.ui.searchDone?.();
  await app.open(hit.conversation_id, { scrollTo: hit.message_id });
  if (hit.message_id && !app.thread.view(hit.message_id) && app.features.tree) {
    await app.switchTo(hit.message_id); // the hit is on another branch
    app.thread.scrollTo(hit.message_id);
  }
}
