// Live changes from other clients (the change stream, GET /api/events) applied to the page:
// the list, the streaming dots, and the shown conversation's messages.
import { toast } from "./dialogs.js";

export function applyChange(app, kind, data) {
  if (kind === "conversation.created" || kind === "conversation.updated") {
    const conversation = data.conversation;
    const shown = app.current?.id === conversation.id;
    const headMoved = shown && "head_id" in conversation && app.current.head_id !== conversation.head_id;
    app.upsertConversation(conversation);
    if (headMoved && !app.busy && !app.messages.some((m) => m.id === conversation.head_id)) app.scheduleRefresh();
    return;
  }
  if (kind === "conversation.deleted") {
    if (app.current?.id === data.conversation_id) toast("This chat was deleted in another window.");
    app.forget(data.conversation_id);
    return;
  }
  const message = data.message;
  if (!message) return;
  if (message.role === "assistant") {
    if (message.status === "streaming") app.streamingIn.add(message.conversation_id);
    else app.streamingIn.delete(message.conversation_id);
  }
  if (!app.current || message.conversation_id !== app.current.id) { app.renderSidebar(); return; }
  const known = app.messages.some((m) => m.id === message.id);
  if (!known) {
    if (!app.busy) app.scheduleRefresh(); // started elsewhere: load the path and follow it
    return;
  }
  if (app.followers.has(message.id)) return; // its own stream brings the end
  app.replaceMessage(message);
  app.thread.view(message.id)?.update(message);
  if (message.role === "assistant" && message.status === "streaming") app.follow(message);
  app.streamingChanged();
}
