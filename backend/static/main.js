// Start-up and the page's controls: token, composer, header, search, shortcuts, sidebar.
import { Api } from "./api.js";
import { ChatApp } from "./app.js";
import { copyText } from "./markdown.js";
import { shortcutsDialog, toast } from "./dialogs.js";
import { fillIcons, icon } from "./icons.js";
import { forgetToken, saveToken, takeToken } from "./token.js";

const $ = (id) => document.getElementById(id);
const root = $("app");
const input = $("input");
const sendButton = $("send");
const narrow = window.matchMedia("(max-width: 699px)");
let app = null;

// -- the token --------------------------------------------------------------------------------

function showGate(reason) {
  root.dataset.state = "locked";
  $("gate").hidden = false;
  $("gate-reason").textContent = reason || "";
  $("gate-token").value = "";
  $("gate-token").focus();
}

async function unlock(token) {
  const api = new Api(token);
  try {
    await api.get("/api/conversations");
  } catch (error) {
    if (error.status === 401) {
      forgetToken();
      showGate(token
        ? "That token was not accepted. It may be from an earlier run of sse-chat serve: use the one it printed last."
        : "This server needs its access token.");
      return;
    }
    showGate(error.status ? `The server answered: ${error.detail}` : error.detail);
    return;
  }
  if (token) saveToken(token);
  $("gate").hidden = true;
  root.dataset.state = "starting";
  api.onUnauthorized = () => {
    app?.stop();
    app = null;
    forgetToken();
    showGate("The server no longer accepts this token (was it restarted?). Paste the new one.");
  };
  app?.stop();
  app = new ChatApp(api, ui);
  window.sseChat = app; // for the console (and the page's tests)
  try {
    await app.start();
  } catch (error) {
    toast(error.detail || String(error));
  }
  if (app && root.dataset.state === "starting") root.dataset.state = "ready"; // list and chat shown
  input.focus();
}

$("gate-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = $("gate-token").value.trim();
  if (token) unlock(token);
});

// -- what the app tells the controls -------------------------------------------------------

const ui = {
  conversationChanged() {
    const current = app?.current;
    const title = $("title");
    title.textContent = current ? current.title : "New chat";
    document.title = current ? `${current.title} · SSE Chat` : "SSE Chat";
    $("empty").hidden = Boolean(app && app.messages.length);
    $("empty-model").textContent = app?.defaultModel ? `Replies come from ${app.defaultModel}.` : "";
    $("conversation-menu").hidden = !current;
    const chip = $("model-chip");
    chip.hidden = !(current && app.features.settings);
    if (!chip.hidden) chip.querySelector(".model-name").textContent = current.model || app.defaultModel || "Default model";
  },
  streamingChanged() {
    $("empty").hidden = Boolean(app && app.messages.length);
    const streaming = Boolean(app?.isStreaming());
    sendButton.classList.toggle("stop", streaming);
    sendButton.title = streaming ? "Stop (Esc)" : "Send (Enter)";
    sendButton.setAttribute("aria-label", streaming ? "Stop" : "Send");
    sendButton.replaceChildren(icon(streaming ? "stop" : "arrow-up"));
    updateSendEnabled();
  },
  connectionChanged(state) {
    const box = $("connection");
    box.dataset.state = state;
    box.querySelector(".label").textContent = { online: "Live", connecting: "Reconnecting…", offline: "Offline" }[state] || state;
  },
  replyState(state) {
    $("notice").textContent = state === "reconnecting" ? "Connection lost: resuming the reply…" : "";
  },
  searchDone() {
    if (narrow.matches) closeDrawer();
  },
  renameInHeader: () => renameInHeader(),
};

// -- composer ----------------------------------------------------------------------------------

function autosize() {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, window.innerHeight * 0.4)}px`;
}

function updateSendEnabled() {
  const streaming = Boolean(app?.isStreaming());
  sendButton.disabled = !app || (!streaming && !input.value.trim());
}

async function submit() {
  if (!app) return;
  if (app.isStreaming()) { app.stop(); return; }
  const text = input.value;
  if (!text.trim()) return;
  if (await app.send(text)) {
    if (input.value === text) input.value = "";
    autosize();
    updateSendEnabled();
  }
}

$("composer").addEventListener("submit", (event) => { event.preventDefault(); submit(); });
input.addEventListener("input", () => { autosize(); updateSendEnabled(); });
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !event.ctrlKey && !event.altKey) {
    event.preventDefault();
    if (!app?.isStreaming()) submit();
  } else if (event.key === "ArrowUp" && !input.value && app) {
    const last = app.lastOf("user");
    if (last && !app.isStreaming()) {
      event.preventDefault();
      app.thread.view(last.id)?.startEdit();
    }
  }
});
for (const card of document.querySelectorAll(".suggestion")) {
  card.addEventListener("click", () => {
    input.value = card.dataset.text;
    autosize();
    updateSendEnabled();
    input.focus();
  });
}

// -- header ------------------------------------------------------------------------------------

function renameInHeader() {
  const current = app?.current;
  if (!current) return;
  const title = $("title");
  const box = document.createElement("input");
  box.className = "title-input";
  box.value = current.title;
  box.maxLength = 200;
  box.setAttribute("aria-label", "New title");
  title.hidden = true;
  title.after(box);
  box.focus();
  box.select();
  let done = false;
  const finish = (save) => {
    if (done) return;
    done = true;
    const value = box.value.trim();
    box.remove();
    title.hidden = false;
    if (save && value && value !== current.title) app.rename(current.id, value);
  };
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); finish(true); }
    if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); finish(false); input.focus(); }
  });
  box.addEventListener("blur", () => finish(true));
}

$("title").addEventListener("click", renameInHeader);
$("model-chip").addEventListener("click", () => app?.editSettings());
$("conversation-menu").addEventListener("click", (event) => {
  if (app?.current) app.conversationMenu(app.current.id, event.currentTarget);
});
$("new-chat").addEventListener("click", () => newChat());

function newChat() {
  if (!app) return;
  app.newChat();
  if (narrow.matches) closeDrawer();
  input.focus();
}

// -- sidebar: folded (wide) or a drawer (narrow) ---------------------------------------------

function openDrawer() { root.classList.add("sidebar-open"); $("scrim").hidden = false; }
function closeDrawer() { root.classList.remove("sidebar-open"); $("scrim").hidden = true; }
function toggleSidebar() {
  if (narrow.matches) {
    if (root.classList.contains("sidebar-open")) closeDrawer();
    else openDrawer();
  } else {
    root.classList.toggle("sidebar-folded");
  }
}
$("open-sidebar").addEventListener("click", toggleSidebar);
$("close-sidebar").addEventListener("click", closeDrawer);
$("scrim").addEventListener("click", closeDrawer);
$("conversations").addEventListener("click", (event) => {
  if (narrow.matches && event.target.closest("a")) closeDrawer();
});
narrow.addEventListener("change", closeDrawer);

// -- search ------------------------------------------------------------------------------------

const search = $("search");
let searchTimer = null;
search.addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => app?.search(search.value), 150);
});
search.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    event.preventDefault();
    event.stopPropagation();
    search.value = "";
    app?.search("");
    input.focus();
  } else if (event.key === "Enter" || event.key === "ArrowDown") {
    const first = $("search-results").querySelector(".hit");
    if (first) {
      event.preventDefault();
      if (event.key === "Enter") first.click();
      else first.focus();
    }
  }
});
$("search-results").addEventListener("keydown", (event) => {
  const hits = [...$("search-results").querySelectorAll(".hit")];
  const at = hits.indexOf(document.activeElement);
  if (event.key === "ArrowDown" && at >= 0 && at < hits.length - 1) { event.preventDefault(); hits[at + 1].focus(); }
  if (event.key === "ArrowUp") { event.preventDefault(); (at > 0 ? hits[at - 1] : search).focus(); }
});
function focusSearch() {
  if (narrow.matches) openDrawer();
  else root.classList.remove("sidebar-folded");
  search.focus();
  search.select();
}

// -- keyboard shortcuts --------------------------------------------------------------------

document.addEventListener("keydown", (event) => {
  if (!app || root.dataset.state !== "ready" || $("dialog").open) return;
  const mod = event.ctrlKey || event.metaKey;
  const key = event.key.toLowerCase();
  if (event.key === "Escape") {
    if (narrow.matches && root.classList.contains("sidebar-open")) { closeDrawer(); return; }
    if (app.isStreaming()) { event.preventDefault(); app.stop(); }
    return;
  }
  if (mod && !event.shiftKey && key === "k") { event.preventDefault(); focusSearch(); return; }
  if (mod && event.shiftKey && key === "o") { event.preventDefault(); newChat(); return; }
  if (mod && !event.shiftKey && key === "b") { event.preventDefault(); toggleSidebar(); return; }
  if (mod && (key === "/" || key === "?")) { event.preventDefault(); shortcutsDialog(); return; }
  if (mod && event.shiftKey && key === "c") {
    const last = app.lastOf("assistant");
    if (last) {
      event.preventDefault();
      copyText(last.content).then((ok) => toast(ok ? "Copied the last reply" : "Could not copy"));
    }
    return;
  }
  if (mod && event.shiftKey && event.key === "Backspace" && app.current) {
    event.preventDefault();
    app.remove(app.current.id);
  }
});
$("shortcuts-button").addEventListener("click", () => shortcutsDialog());
window.addEventListener("popstate", () => app?.openFromAddress());

// -- start ---------------------------------------------------------------------------------------

fillIcons();
if (narrow.matches) root.classList.remove("sidebar-folded");
unlock(takeToken());
