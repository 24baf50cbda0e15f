// Line icons (24 x 24, stroked), built with DOM calls: no markup strings anywhere.
const SVG = "http://www.w3.org/2000/svg";

const PATHS = {
  plus: ["M12 5v14", "M5 12h14"],
  search: ["M10.5 4a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13z", "M20 20l-4.8-4.8"],
  close: ["M6 6l12 12", "M18 6L6 18"],
  menu: ["M4 7h16", "M4 12h16", "M4 17h16"],
  more: ["M5.5 12h.01", "M12 12h.01", "M18.5 12h.01"],
  "arrow-up": ["M12 19V5", "M5.5 11.5L12 5l6.5 6.5"],
  stop: ["M8 8h8v8H8z"],
  copy: ["M9 9h10v10H9z", "M5 15V5h10"],
  check: ["M5 12.5l4.5 4.5L19 7.5"],
  regenerate: ["M19.5 12a7.5 7.5 0 1 1-2.2-5.3", "M19.5 4.5v4h-4"],
  edit: ["M4 20h4L19 9l-4-4L4 16v4z", "M13.5 6.5l4 4"],
  "chevron-left": ["M14.5 6l-6 6 6 6"],
  "chevron-right": ["M9.5 6l6 6-6 6"],
  "chevron-down": ["M7 10l5 5 5-5"],
  keyboard: ["M3 7h18v10H3z", "M7 10.5h.01", "M11 10.5h.01", "M15 10.5h.01", "M8 14h8"],
  trash: ["M5 7h14", "M10 7V5h4v2", "M7 7l1 13h8l1-13"],
  download: ["M12 4v11", "M7.5 10.5L12 15l4.5-4.5", "M5 19h14"],
  rename: ["M4 20h16", "M6 16l9.5-9.5 3 3L9 19H6v-3z"],
  settings: ["M12 9a3 3 0 1 0 0 6a3 3 0 1 0 0-6z", "M12 3v2.5M12 18.5V21M3 12h2.5M18.5 12H21M5.6 5.6l1.8 1.8M16.6 16.6l1.8 1.8M5.6 18.4l1.8-1.8M16.6 7.4l1.8-1.8"],
};

const FILLED = new Set(["stop"]);
const HEAVY = new Set(["more"]);

/** An `<svg>` icon element for `name` (an empty one for an unknown name). */
export function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("fill", FILLED.has(name) ? "currentColor" : "none");
  svg.setAttribute("stroke", "currentColor");
  svg.setAttribute("stroke-width", HEAVY.has(name) ? "3" : "1.8");
  svg.setAttribute("stroke-linecap", "round");
  svg.setAttribute("stroke-linejoin", "round");
  for (const d of PATHS[name] || []) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

/** Put the icon named by each `[data-icon]` element of `root` inside it. */
export function fillIcons(root = document) {
  for (const el of root.querySelectorAll("[data-icon]")) {
    el.replaceChildren(icon(el.dataset.icon));
  }
}

/** A small icon button with a tooltip (the label is also its accessible name). */
export function iconButton(name, label, onClick) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "icon-button";
  button.title = label;
  button.setAttribute("aria-label", label);
  button.append(icon(name));
  if (onClick) button.addEventListener("click", onClick);
  return button;
}
