// Date groups of the conversation list, as the leading chat apps show them.

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December"];

function startOfDay(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

function daysBefore(day, n) {
  return new Date(day.getFullYear(), day.getMonth(), day.getDate() - n);
}

/** "Today", "Yesterday", "Previous 7 days", "Previous 30 days", "March", or "March 2024". */
export function groupLabel(iso, now = new Date()) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "Older";
  const today = startOfDay(now);
  if (date >= today) return "Today";
  if (date >= daysBefore(today, 1)) return "Yesterday";
  if (date >= daysBefore(today, 7)) return "Previous 7 days";
  if (date >= daysBefore(today, 30)) return "Previous 30 days";
  const month = MONTHS[date.getMonth()];
  return date.getFullYear() === now.getFullYear() ? month : `${month} ${date.getFullYear()}`;
}

/** `conversations` (newest first) as `[{label, items}]`, in order. */
export function groupByDate(conversations, now = new Date()) {
  const groups = [];
  for (const conversation of conversations) {
    const label = groupLabel(conversation.updated_at, now);
    const last = groups[groups.length - 1];
    if (last && last.label === label) last.items.push(conversation);
    else groups.push({ label, items: [conversation] });
  }
  return groups;
}

/** A conversation title from a first message: the words of its first line, without Markdown marks,
 * after a leading `<think>` block (the echo provider's reasoning; its words when nothing follows). */
export function titleFrom(text, limit = 60) {
  const thinking = /^\s*<(think|thinking)>([\s\S]*?)(?:<\/\1>|$)([\s\S]*)/.exec(text);
  if (thinking) text = thinking[3].trim() || thinking[2].trim() || text;
  const line = text.split("\n").map((l) => l.trim()).find((l) => l && !/^(```|~~~|\|?[-:| ]+\|?$)/.test(l)) || text;
  const plain = line
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/^#{1,6}\s+/gm, "")
    .replace(/(^|\s)[*_`~]{1,3}(?=\S)/g, "$1")
    .replace(/(\S)[*_`~]{1,3}(?=[\s.,;:!?)]|$)/g, "$1");
  const words = plain.split(/\s+/).filter(Boolean).join(" ") || text.split(/\s+/).filter(Boolean).join(" ");
  if (!words) return "New conversation";
  return words.length <= limit ? words : `${words.slice(0, limit - 1).trimEnd()}…`;
}
