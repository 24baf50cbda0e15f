"""The page's files: vendored pieces with versions, licences and checksums; module imports
that resolve; design-token colours with WCAG AA contrast (../shared/DESIGN.md)."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from backend.web import STATIC_DIR

VENDOR = STATIC_DIR / "vendor"
ROOT = STATIC_DIR.parents[1]


def test_every_vendored_file_is_recorded_with_its_version_licence_and_checksum() -> None:
    entries = json.loads((VENDOR / "VENDOR.json").read_text())
    assert {e["package"] for e in entries} == {
        "marked",
        "dompurify",
        "@highlightjs/cdn-assets",
        "katex",
    }
    recorded: set[str] = set()
    for entry in entries:
        assert re.fullmatch(r"\d+\.\d+\.\d+", entry["version"]), entry
        assert entry["license"] and entry["tarball_integrity"].startswith("sha512-"), entry
        folder = VENDOR / entry["folder"]
        assert any(p.name.startswith("LICENSE") for p in folder.iterdir()), folder
        for name, digest in entry["files"].items():
            assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
            recorded.add(name)
        readme = (VENDOR / "README.md").read_text()
        assert f"| {entry['version']} |" in readme
    present = {str(p.relative_to(VENDOR)) for p in VENDOR.rglob("*") if p.is_file()}
    assert present - recorded == {"VENDOR.json", "README.md"}  # nothing unrecorded


def test_the_page_and_its_modules_name_only_files_that_exist() -> None:
    html = (STATIC_DIR / "index.html").read_text()
    for ref in re.findall(r'(?:src|href)="(/app/[^"]+)"', html):
        assert (STATIC_DIR / ref.removeprefix("/app/")).is_file(), ref
    for module in STATIC_DIR.glob("*.js"):
        text = module.read_text()
        for ref in re.findall(r'(?:from|import\()\s*"(\./[^"]+)"', text):
            assert (module.parent / ref).is_file(), (module.name, ref)
        for ref in re.findall(r'"(/app/[^"]+)"', text):
            assert (STATIC_DIR / ref.removeprefix("/app/")).is_file(), (module.name, ref)


def test_the_bundle_and_the_wheel_carry_the_page() -> None:
    spec = (ROOT / "build.spec").read_text()
    assert 'STATIC = ROOT / "backend" / "static"' in spec and "STATIC.rglob" in spec
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'packages = ["backend", "desktop"]' in pyproject  # hatch takes every file in them


# -- colours --------------------------------------------------------------------------------


def tokens(css: str) -> tuple[dict[str, str], dict[str, str]]:
    """The `--name: #hex` custom properties of the light `:root` and the dark one."""
    light: dict[str, str] = {}
    dark: dict[str, str] = {}
    dark_block = re.search(r"prefers-color-scheme: dark\)\s*\{\s*:root\s*\{(.*?)\}", css, re.S)
    light_block = re.search(r"^:root\s*\{(.*?)\}", css, re.S | re.M)
    for block, into in ((light_block, light), (dark_block, dark)):
        assert block is not None
        into.update(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\b", block.group(1)))
    return light, dark


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


STYLE = tokens((STATIC_DIR / "style.css").read_text())
CODE = tokens((STATIC_DIR / "markdown.css").read_text())


@pytest.mark.parametrize("theme", [0, 1], ids=["light", "dark"])
def test_text_colours_reach_aa_on_every_background(theme: int) -> None:
    colours = STYLE[theme]
    for fg in ("text", "muted", "accent", "danger"):
        for bg in ("bg", "surface", "sidebar"):
            assert contrast(colours[fg], colours[bg]) >= 4.5, (fg, bg)
    assert contrast(colours["text"], colours["user-bubble"]) >= 4.5
    assert contrast(colours["text"], colours["code-bg"]) >= 4.5
    assert contrast(colours["text"], colours["inline-code-bg"]) >= 4.5
    assert contrast(colours["accent-text"], colours["accent"]) >= 4.5  # the primary button


@pytest.mark.parametrize("theme", [0, 1], ids=["light", "dark"])
def test_code_token_colours_reach_aa_on_the_code_background(theme: int) -> None:
    background = STYLE[theme]["code-bg"]
    highlight = {k: v for k, v in CODE[theme].items() if k.startswith("hl-")}
    assert len(highlight) >= 10
    for name, colour in highlight.items():
        assert contrast(colour, background) >= 4.5, (name, colour, background)
