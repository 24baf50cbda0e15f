// A conversation's turns (PROTOCOL.md sections 3 and 7): send, edit, regenerate, stop, and
// switching to another branch. One request at a time; its `202 Turn` is shown at once and the
// reply followed (app.js).
import { isMissingRoute } from "./api.js";
import { titleFrom } from "./dates.js";
import { toast } from "./dialogs.js";

const enc = encodeURIComponent;

export async function sendMessage(app, text) {
  if (!text.trim()) return false;
  return requestTurn(app, async () => {
    if (!app.current) {
      const created = await app.api.post("/api/conversations", { title: titleFrom(text) });
      app.current = created;
      app.detectFeatures(created);
      app.messages = [];
      app.upsertConversation(created);
      window.history.pushState(null, "", `#${enc(created.id)}`);
      app.ui.conversationChanged();
    }
    return app.api.post(`/api/conversations/${enc(app.current.id)}/messages`, { content: text });
  });
}

/**
 * A turn's request (send, edit, regenerate): refused while another is on its way or a reply
 * streams; its `202 Turn` is shown (`replacing`: the message it replaces), a failure reported.
 * True when the turn started.
 */
async function requestTurn(app, request, replacing = null) {
  if (app.busy || app.isStreaming()) return false;
  app.busy = true;
  app.thread.refreshActions();
  try {
    const turn = await request();
    app.busy = false;
    startTurn(app, turn, replacing);
    return true;
  } catch (error) {
    app.report(error);
    return false;
  } finally {
    app.busy = false;
    app.thread.refreshActions();
    app.ui.streamingChanged();
  }
}

/** Show a `202 Turn`: `replacing` is the message it replaces on the path (edit, regenerate). */
function startTurn(app, turn, replacing) {
  if (!app.current || turn.reply.conversation_id !== app.current.id) return;
  let messages = app.messages.filter((m) => m.id !== turn.reply.id);
  if (replacing) {
    const at = messages.findIndex((m) => m.id === replacing.id);
    if (at >= 0) messages = messages.slice(0, at);
  }
  if (messages.some((m) => m.id === turn.message.id)) {
    messages = messages.map((m) => (m.id === turn.message.id ? turn.message : m)); // regenerate
  } else {
    messages.push(turn.message); // send, edit
  }
  messages.push(turn.reply);
  app.thread.stick = true;
  app.setMessages(messages);
  app.thread.scrollToBottom();
}

export function editMessage(app, message, text) {
  return requestTurn(app, () => app.api.patch(`/api/messages/${enc(message.id)}`, { content: text }), message);
}

export function regenerateReply(app, message) {
  return requestTurn(app, () => app.api.post(`/api/messages/${enc(message.id)}/regenerate`), message);
}

export async function stopReply(app) {
  const reply = app.messages.find((m) => m.role === "assistant" && m.status === "streaming");
  if (!reply) return false;
  try {
    await app.api.post(`/api/messages/${enc(reply.id)}/cancel`);
  } catch (error) { app.report(error); }
  return true;
}

export async function switchBranch(app, messageId) {
  if (!app.current || !messageId || app.busy || app.isStreaming()) return;
  app.busy = true;
  try {
    const detail = await app.api.put(`/api/conversations/${enc(app.current.id)}/head`, { message_id: messageId });
    app.busy = false;
    const keep = app.thread.scroller.scrollTop;
    app.showDetail(detail);
    app.thread.stick = false;
    app.thread.scroller.scrollTop = keep;
  } catch (error) {
    if (isMissingRoute(error)) toast("This server keeps no other versions.");
    else app.report(error);
  } finally {
    app.busy = false;
    app.thread.refreshActions();
  }
}
