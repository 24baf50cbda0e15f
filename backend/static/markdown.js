// Model text -> safe DOM: Markdown (marked) with raw HTML shown as text, images as links,
// code highlighted (highlight.js), then DOMPurify over the result, then DOM-built extras
// (Copy buttons, table scrollers, KaTeX math). Nothing here ever assigns model text to
// innerHTML; DOMPurify returns a DOM fragment.
import { Marked } from "./vendor/marked/marked.esm.js";
import DOMPurify from "./vendor/dompurify/purify.es.js";
import hljs from "./vendor/highlight/highlight.min.js";
import { icon } from "./icons.js";

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);

const SAFE_LINK = /^(?:https?:|mailto:)/i;

// -- math: $...$, \(...\) inline; $$...$$, \[...\] blocks; rendered later by KaTeX ---------

const mathBlock = {
  name: "mathBlock",
  level: "block",
  start(src) {
    const i = src.search(/\$\$|\\\[/);
    return i < 0 ? undefined : i;
  },
  tokenizer(src) {
    const match = /^\$\$([\s\S]+?)\$\$[^\S\n]*(?:\n+|$)/.exec(src) || /^\\\[([\s\S]+?)\\\][^\S\n]*(?:\n+|$)/.exec(src);
    if (match) return { type: "mathBlock", raw: match[0], text: match[1].trim() };
    return undefined;
  },
  renderer(token) {
    return `<div class="math-block" data-tex="${escapeHtml(token.text)}" data-display="1">${escapeHtml(token.text)}</div>\n`;
  },
};

const mathInline = {
  name: "mathInline",
  level: "inline",
  start(src) {
    const i = src.search(/\$|\\\(/);
    return i < 0 ? undefined : i;
  },
  tokenizer(src) {
    let match = /^\$\$(?!\s)([^$]+?)\$\$/.exec(src);
    if (match) return { type: "mathInline", raw: match[0], text: match[1], display: true };
    match = /^\$(?![\s$])((?:\\\$|[^$\n])+?)(?<![\s\\])\$(?![0-9])/.exec(src);
    if (match) return { type: "mathInline", raw: match[0], text: match[1], display: false };
    match = /^\\\(([\s\S]+?)\\\)/.exec(src);
    if (match) return { type: "mathInline", raw: match[0], text: match[1], display: false };
    return undefined;
  },
  renderer(token) {
    const display = token.display ? "1" : "0";
    return `<span class="math-inline" data-tex="${escapeHtml(token.text)}" data-display="${display}">${escapeHtml(token.raw)}</span>`;
  },
};

// -- code --------------------------------------------------------------------------------

const highlighted = new Map(); // language + NUL + code -> HTML (escaped by highlight.js)
const HIGHLIGHT_CACHE = 300;
const AUTO_DETECT_LIMIT = 20_000;

function highlight(code, language) {
  const key = `${language}\u0000${code}`;
  const cached = highlighted.get(key);
  if (cached !== undefined) return cached;
  let html;
  try {
    if (language && hljs.getLanguage(language)) {
      html = hljs.highlight(code, { language, ignoreIllegals: true }).value;
    } else if (!language && code.length <= AUTO_DETECT_LIMIT) {
      html = hljs.highlightAuto(code).value;
    } else {
      html = escapeHtml(code);
    }
  } catch {
    html = escapeHtml(code);
  }
  if (highlighted.size >= HIGHLIGHT_CACHE) highlighted.delete(highlighted.keys().next().value);
  highlighted.set(key, html);
  return html;
}

const marked = new Marked({ gfm: true, breaks: false, async: false });
marked.use({
  extensions: [mathBlock, mathInline],
  // No HTML blocks: a line of HTML is a paragraph like any other (its tags shown as text by
  // `html` below), so the Markdown after it still renders.
  tokenizer: { html: () => undefined },
  renderer: {
    // Raw HTML in a reply is shown as the text it is, never interpreted.
    html(token) {
      return escapeHtml(token.text);
    },
    // Images are never loaded: a link to them (http/https only) or their alt text.
    image(token) {
      const label = escapeHtml(token.text || "image");
      if (token.href && /^https?:\/\//i.test(token.href)) {
        return `<a class="image-link" href="${escapeHtml(token.href)}">${label}</a>`;
      }
      return `<span class="image-link">${label}</span>`;
    },
    code(token) {
      const language = (token.lang || "").trim().split(/\s+/)[0].toLowerCase();
      return `<pre data-lang="${escapeHtml(language)}"><code class="hljs">${highlight(token.text, language)}</code></pre>\n`;
    },
  },
});

// -- sanitising ----------------------------------------------------------------------------

const PURIFY = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ["style", "img", "svg", "math", "form", "button", "textarea", "select", "option",
    "iframe", "frame", "frameset", "object", "embed", "video", "audio", "source", "track",
    "picture", "link", "meta", "base", "template", "dialog"],
  FORBID_ATTR: ["style", "src", "srcset", "action", "formaction", "background", "ping", "poster", "id", "name"],
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
  RETURN_DOM_FRAGMENT: true,
};

DOMPurify.addHook("uponSanitizeElement", (node, data) => {
  if (data.tagName === "input" && node.getAttribute("type") !== "checkbox") node.remove();
});
DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    const href = node.getAttribute("href");
    if (href && SAFE_LINK.test(href)) {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer nofollow");
    } else {
      node.removeAttribute("href");
    }
  } else if (node.tagName === "INPUT") {
    node.setAttribute("disabled", "");
  }
});

/** Sanitised HTML of `html` (from our own renderer), as a fragment of this document. */
export function sanitize(html) {
  return DOMPurify.sanitize(html, PURIFY);
}

// -- math (KaTeX, loaded on first use) ------------------------------------------------------

let katexLoading = null;
const mathCache = new Map();
const MATH_CACHE = 300;

function loadKatex() {
  if (!katexLoading) {
    const sheet = document.createElement("link");
    sheet.rel = "stylesheet";
    sheet.href = "/app/vendor/katex/katex.min.css";
    document.head.append(sheet);
    katexLoading = import("./vendor/katex/katex.js").then((module) => module.default);
  }
  return katexLoading;
}

function renderMath(katex, tex, display) {
  const holder = document.createElement("span");
  try {
    // trust: false keeps \href, \url, \includegraphics and \html* off.
    katex.render(tex, holder, { displayMode: display, throwOnError: false, trust: false,
      strict: "ignore", maxSize: 20, maxExpand: 500, output: "htmlAndMathml" });
  } catch {
    holder.textContent = tex;
    holder.className = "math-error";
  }
  return holder;
}

function typeset(element) {
  const tex = element.dataset.tex;
  const display = element.dataset.display === "1";
  const key = `${display ? "D" : "I"}${tex}`;
  const cached = mathCache.get(key);
  if (cached) {
    element.replaceChildren(cached.cloneNode(true));
    return;
  }
  loadKatex().then((katex) => {
    let rendered = mathCache.get(key);
    if (!rendered) {
      rendered = renderMath(katex, tex, display);
      if (mathCache.size >= MATH_CACHE) mathCache.delete(mathCache.keys().next().value);
      mathCache.set(key, rendered);
    }
    if (element.isConnected || element.parentNode) element.replaceChildren(rendered.cloneNode(true));
  }, () => { /* KaTeX failed to load: the TeX stays as text */ });
}

// -- the extras built with DOM calls --------------------------------------------------------

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch { ok = false; }
    area.remove();
    return ok;
  }
}

/** Briefly show "Copied" on `button` (its label node is `label`). */
export function flashCopied(button, label, ok) {
  const before = label.textContent;
  label.textContent = ok ? "Copied" : "Copy failed";
  button.replaceChild(icon(ok ? "check" : "copy"), button.firstChild);
  setTimeout(() => {
    label.textContent = before;
    button.replaceChild(icon("copy"), button.firstChild);
  }, 1500);
}

function codeBlock(pre) {
  const block = document.createElement("div");
  block.className = "code-block";
  const head = document.createElement("div");
  head.className = "code-head";
  const language = document.createElement("span");
  language.textContent = pre.dataset.lang || "text";
  const copy = document.createElement("button");
  copy.type = "button";
  copy.className = "copy";
  copy.title = "Copy the code";
  const label = document.createElement("span");
  label.textContent = "Copy";
  copy.append(icon("copy"), label);
  copy.addEventListener("click", async () => flashCopied(copy, label, await copyText(pre.textContent)));
  head.append(language, copy);
  pre.replaceWith(block);
  block.append(head, pre);
}

function enhance(fragment) {
  for (const pre of fragment.querySelectorAll("pre")) codeBlock(pre);
  for (const table of fragment.querySelectorAll("table")) {
    const wrap = document.createElement("div");
    wrap.className = "table-wrap";
    table.replaceWith(wrap);
    wrap.append(table);
  }
  for (const element of fragment.querySelectorAll("[data-tex]")) typeset(element);
  return fragment;
}

/** `markdown` (untrusted) as a safe DOM fragment ready to insert. */
export function renderMarkdown(markdown) {
  let html;
  try {
    html = marked.parse(markdown || "");
  } catch {
    const fragment = document.createDocumentFragment();
    const p = document.createElement("p");
    p.textContent = markdown;
    fragment.append(p);
    return fragment;
  }
  return enhance(sanitize(html));
}
