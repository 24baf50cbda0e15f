"""Deterministic Markdown texts for the benchmarks: paragraphs, lists, tables, code fences."""

from __future__ import annotations

PARAGRAPH = (
    "Streaming text should stay **smooth** however long the reply grows. This paragraph "
    "has *emphasis*, `inline code`, a [link](https://example.com/docs) and enough words to "
    "wrap over a few lines in a normal window.\n\n"
)
LIST = (
    "- the splitter scans each line once\n"
    "- stable blocks are laid out once\n"
    "  - nested items stay with their parent\n"
    "- only the open tail is rendered again\n\n"
)
ORDERED = "1. first step\n2. second step with `code`\n3. third step\n\n"
TABLE = "| name | value |\n|---|---|\n| alpha | 1 |\n| beta | 2 |\n\n"
CODE = (
    "```python\n"
    "def fibonacci(n: int) -> int:\n"
    '    """Return the n-th Fibonacci number."""\n'
    "    a, b = 0, 1\n"
    "    for _ in range(n):\n"
    "        a, b = b, a + b\n"
    "    return a\n"
    "```\n\n"
)
PIECES = (
    "## Section {i}\n\n",
    PARAGRAPH,
    LIST,
    PARAGRAPH,
    CODE,
    ORDERED,
    TABLE,
)


def markdown_reply(n: int) -> str:
    """About `n` characters of mixed Markdown (cut at a line end)."""
    out: list[str] = []
    size = 0
    i = 0
    while size < n:
        piece = PIECES[i % len(PIECES)].replace("{i}", str(i // len(PIECES) + 1))
        out.append(piece)
        size += len(piece)
        i += 1
    text = "".join(out)[:n]
    return text[: text.rfind("\n") + 1] if "\n" in text else text


def history_text(i: int) -> str:
    """A stored reply of a few hundred characters."""
    return PIECES[i % len(PIECES)].replace("{i}", str(i)) + PARAGRAPH[: 80 + i % 120]
