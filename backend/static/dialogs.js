// Small overlays: a pop-up menu, a toast, a confirmation, the shortcut list, the settings form.
import { icon } from "./icons.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// -- toast -----------------------------------------------------------------------------------

let toastTimer = null;

/** A short message at the bottom of the page (plain text). */
export function toast(text, ms = 4000) {
  const box = document.getElementById("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, ms);
}

// -- menu ------------------------------------------------------------------------------------

let closeMenu = null;

/** A menu under `anchor`: items are {label, icon, danger?, run()}. */
export function showMenu(anchor, items) {
  hideMenu();
  const menu = document.getElementById("menu");
  const buttons = items.map((item) => {
    const button = el("button", item.danger ? "danger" : "");
    button.type = "button";
    button.setAttribute("role", "menuitem");
    if (item.icon) button.append(icon(item.icon));
    button.append(document.createTextNode(item.label));
    button.addEventListener("click", () => { hideMenu(); item.run(); });
    return button;
  });
  menu.replaceChildren(...buttons);
  menu.hidden = false;
  const box = anchor.getBoundingClientRect();
  const width = menu.offsetWidth;
  const height = menu.offsetHeight;
  const left = Math.max(8, Math.min(box.right - width, window.innerWidth - width - 8));
  const below = box.bottom + 4;
  const top = below + height > window.innerHeight - 8 ? Math.max(8, box.top - height - 4) : below;
  menu.style.left = `${left}px`;
  menu.style.top = `${top}px`;
  buttons[0]?.focus();
  const onPointer = (event) => { if (!menu.contains(event.target) && !anchor.contains(event.target)) hideMenu(); };
  const onKey = (event) => {
    const at = buttons.indexOf(document.activeElement);
    if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); hideMenu(); anchor.focus(); }
    if (event.key === "ArrowDown") { event.preventDefault(); buttons[(at + 1) % buttons.length].focus(); }
    if (event.key === "ArrowUp") { event.preventDefault(); buttons[(at - 1 + buttons.length) % buttons.length].focus(); }
  };
  document.addEventListener("pointerdown", onPointer, true);
  document.addEventListener("keydown", onKey, true);
  closeMenu = () => {
    document.removeEventListener("pointerdown", onPointer, true);
    document.removeEventListener("keydown", onKey, true);
    menu.hidden = true;
    menu.replaceChildren();
  };
}

export function hideMenu() {
  if (closeMenu) { const close = closeMenu; closeMenu = null; close(); }
}

// -- dialogs ---------------------------------------------------------------------------------

function openDialog(build) {
  const dialog = document.getElementById("dialog");
  return new Promise((resolve) => {
    const finish = (value) => {
      dialog.removeEventListener("close", onClose);
      if (dialog.open) dialog.close();
      dialog.replaceChildren();
      resolve(value);
    };
    const onClose = () => finish(undefined);
    dialog.addEventListener("close", onClose);
    dialog.replaceChildren(build(finish));
    dialog.showModal();
  });
}

/** Ask a yes/no question; resolves true when confirmed. */
export async function confirmDialog({ title, text, confirm = "OK", danger = false }) {
  const answer = await openDialog((finish) => {
    const form = el("form");
    form.method = "dialog";
    form.append(el("h2", "", title), el("p", "muted", text));
    const buttons = el("div", "buttons");
    const cancel = el("button", "secondary", "Cancel");
    cancel.type = "button";
    cancel.addEventListener("click", () => finish(false));
    const ok = el("button", danger ? "danger-button" : "primary", confirm);
    ok.type = "submit";
    buttons.append(cancel, ok);
    form.append(buttons);
    form.addEventListener("submit", (event) => { event.preventDefault(); finish(true); });
    setTimeout(() => ok.focus());
    return form;
  });
  return answer === true;
}

export const SHORTCUTS = [
  ["Enter", "Send"],
  ["Shift+Enter", "New line"],
  ["Esc", "Stop the reply (or close what is open)"],
  ["Ctrl+Shift+O", "New chat"],
  ["Ctrl+K", "Search"],
  ["Ctrl+B", "Show or hide the conversation list"],
  ["↑ in an empty box", "Edit your last message"],
  ["Ctrl+Shift+C", "Copy the last reply"],
  ["Ctrl+Shift+Backspace", "Delete this chat"],
  ["Ctrl+/", "This list"],
];

export function shortcutsDialog() {
  return openDialog((finish) => {
    const form = el("form");
    form.append(el("h2", "", "Keyboard shortcuts"));
    const list = el("dl", "shortcuts");
    for (const [keys, what] of SHORTCUTS) {
      const dt = el("dt");
      dt.append(el("kbd", "", keys));
      list.append(dt, el("dd", "", what));
    }
    const buttons = el("div", "buttons");
    const close = el("button", "primary", "Close");
    close.type = "button";
    close.addEventListener("click", () => finish(undefined));
    buttons.append(close);
    form.append(list, buttons);
    setTimeout(() => close.focus());
    return form;
  });
}

/**
 * The conversation's model and system prompt (PROTOCOL.md section 11).
 * Resolves {model, system_prompt} (null = the app's default) or undefined when cancelled.
 */
export function settingsDialog({ model, systemPrompt, defaultModel, models }) {
  return openDialog((finish) => {
    const form = el("form");
    form.append(el("h2", "", "This conversation"));
    const modelLabel = el("label", "", "Model");
    modelLabel.htmlFor = "setting-model";
    const modelInput = el("input");
    modelInput.id = "setting-model";
    modelInput.value = model || "";
    modelInput.placeholder = defaultModel ? `Default (${defaultModel})` : "Default";
    modelInput.setAttribute("list", "setting-models");
    const options = el("datalist");
    options.id = "setting-models";
    for (const name of models) {
      const option = el("option");
      option.value = name;
      options.append(option);
    }
    const promptLabel = el("label", "", "System prompt");
    promptLabel.htmlFor = "setting-prompt";
    const promptInput = el("textarea");
    promptInput.id = "setting-prompt";
    promptInput.value = systemPrompt || "";
    promptInput.placeholder = "Default (the app's system prompt)";
    const hint = el("p", "muted small", "Empty means the app's default. A change applies to the next reply.");
    const buttons = el("div", "buttons");
    const cancel = el("button", "secondary", "Cancel");
    cancel.type = "button";
    cancel.addEventListener("click", () => finish(undefined));
    const save = el("button", "primary", "Save");
    save.type = "submit";
    buttons.append(cancel, save);
    form.append(modelLabel, modelInput, options, promptLabel, promptInput, hint, buttons);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      finish({
        model: modelInput.value.trim() || null,
        system_prompt: promptInput.value.trim() ? promptInput.value : null,
      });
    });
    setTimeout(() => modelInput.focus());
    return form;
  });
}
