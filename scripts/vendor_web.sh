#!/usr/bin/env bash
# Refresh the web page's third-party files (backend/static/vendor/) from the npm registry.
#
#   bash scripts/vendor_web.sh            # the versions pinned below
#   MARKED=18.3.0 bash scripts/vendor_web.sh
#
# Each package is fetched with `npm pack` (a tarball, no install, no scripts run), checked
# against the integrity the registry reports, and only the files the page loads are copied,
# with the package's licence. Source-map comments are dropped (the maps are not vendored);
# KaTeX's stylesheet is cut to its WOFF2 fonts (the only ones copied). The versions,
# licences, tarball integrity and files go to vendor/VENDOR.json and vendor/README.md.
# Needs node/npm and python3. Commit the result; the page never loads anything from another host.
set -euo pipefail
cd "$(dirname "$0")/.."

MARKED=${MARKED:-18.2.1}
DOMPURIFY=${DOMPURIFY:-3.5.0}
HIGHLIGHT=${HIGHLIGHT:-11.12.0}
KATEX=${KATEX:-0.19.1}

DEST=backend/static/vendor
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

fetch() {  # fetch <spec>: unpack the package's tarball into $WORK/<name>/, print its JSON summary
    local spec=$1 dir
    dir="$WORK/$(echo "$spec" | tr '@/' '__')"
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent --json "$spec" > pack.json && tar xzf ./*.tgz)
    echo "$dir"
}

strip_maps() {  # strip_maps <file>: drop `//# sourceMappingURL=...` lines
    sed -i '/^\/\/# sourceMappingURL=/d' "$1"
}

rm -rf "$DEST"
mkdir -p "$DEST/marked" "$DEST/dompurify" "$DEST/highlight" "$DEST/katex/fonts"

m=$(fetch "marked@$MARKED")
cp "$m/package/lib/marked.esm.js" "$DEST/marked/marked.esm.js"
cp "$m/package/LICENSE"* "$DEST/marked/"

d=$(fetch "dompurify@$DOMPURIFY")
cp "$d/package/dist/purify.es.mjs" "$DEST/dompurify/purify.es.js"
cp "$d/package/LICENSE"* "$DEST/dompurify/"

h=$(fetch "@highlightjs/cdn-assets@$HIGHLIGHT")
cp "$h/package/es/highlight.min.js" "$DEST/highlight/highlight.min.js"
cp "$h/package/LICENSE" "$DEST/highlight/LICENSE"

k=$(fetch "katex@$KATEX")
cp "$k/package/dist/katex.mjs" "$DEST/katex/katex.js"
cp "$k/package/dist/fonts/"*.woff2 "$DEST/katex/fonts/"
cp "$k/package/LICENSE" "$DEST/katex/LICENSE"
# url(fonts/X.woff2) format("woff2"),url(fonts/X.woff) format("woff"),url(fonts/X.ttf) format("truetype")
sed -E 's/,url\(fonts\/[^)]*\.woff\) format\("woff"\),url\(fonts\/[^)]*\.ttf\) format\("truetype"\)//g' \
    "$k/package/dist/katex.min.css" > "$DEST/katex/katex.min.css"
if grep -qE '\.(woff|ttf)\)' "$DEST/katex/katex.min.css"; then
    echo "vendor_web.sh: KaTeX's stylesheet still names non-WOFF2 fonts; update the sed" >&2
    exit 1
fi

for f in "$DEST"/*/*.js; do strip_maps "$f"; done

python3 - "$DEST" "$m" "$d" "$h" "$k" <<'PY'
import hashlib, json, sys
from pathlib import Path

dest = Path(sys.argv[1])
folders = {"marked": sys.argv[2], "dompurify": sys.argv[3], "highlight": sys.argv[4], "katex": sys.argv[5]}
entries = []
for folder, work in folders.items():
    pack = json.loads((Path(work) / "pack.json").read_text())[0]
    meta = json.loads((Path(work) / "package" / "package.json").read_text())
    files = sorted(str(p.relative_to(dest)) for p in (dest / folder).rglob("*") if p.is_file())
    entries.append({
        "folder": folder,
        "package": meta["name"],
        "version": meta["version"],
        "license": meta.get("license"),
        "homepage": meta.get("homepage"),
        "tarball_integrity": pack["integrity"],
        "files": {f: hashlib.sha256((dest / f).read_bytes()).hexdigest() for f in files},
    })
(dest / "VENDOR.json").write_text(json.dumps(entries, indent=2) + "\n")
lines = [
    "# Vendored third-party files of the web page",
    "",
    "Fetched with `npm pack` by `scripts/vendor_web.sh` (run it to refresh; do not edit these",
    "files by hand). Checksums of every file: `VENDOR.json`.",
    "",
    "| folder | package | version | licence |",
    "| --- | --- | --- | --- |",
]
for e in entries:
    lines.append(f"| `{e['folder']}/` | {e['package']} | {e['version']} | {e['license']} |")
lines += [
    "",
    "Changes made when copying: source-map comments removed; DOMPurify's `purify.es.mjs` saved",
    "as `purify.es.js` and KaTeX's `katex.mjs` as `katex.js`; KaTeX's stylesheet lists only",
    "its WOFF2 fonts (the only ones copied).",
    "",
]
(dest / "README.md").write_text("\n".join(lines))
PY
echo "vendored into $DEST:"
du -sh "$DEST"/*/ | sed 's/^/  /'
