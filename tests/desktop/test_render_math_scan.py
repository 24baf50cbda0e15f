"""`find_math` (pure Python): where the formulas are in a Markdown text, byte-exact."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from desktop.render.mathscan import MathSpan, display_block, find_math


def spans(text: str) -> list[tuple[int, int, str, bool]]:
    return [(s.start, s.end, s.tex, s.display) for s in find_math(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # inline $...$
        ("a $x^2$ b", [(2, 7, "x^2", False)]),
        ("$x$", [(0, 3, "x", False)]),
        ("$a$ and $b$", [(0, 3, "a", False), (8, 11, "b", False)]),
        ("$x + y = z$.", [(0, 11, "x + y = z", False)]),
        ("($x$)", [(1, 4, "x", False)]),
        # display $$...$$, spaces and single line breaks inside allowed
        ("$$E=mc^2$$", [(0, 10, "E=mc^2", True)]),
        ("$$ x $$", [(0, 7, " x ", True)]),
        ("$$\na+b\n$$", [(0, 9, "\na+b\n", True)]),
        ("see\n$$\n\\int_0^1 f\n$$\nthen", [(4, 20, "\n\\int_0^1 f\n", True)]),
        # \( \) and \[ \]
        ("\\(x\\) and \\[y\\]", [(0, 5, "x", False), (10, 15, "y", True)]),
        ("\\[\na \\\\ b\n\\]", [(0, 12, "\na \\\\ b\n", True)]),
        ("\\( \\frac{a}{b} \\)", [(0, 17, " \\frac{a}{b} ", False)]),
        # Pandoc's rules for $: prices, shell variables, spaces inside
        ("$5 and $10", []),
        ("It costs $5, or $10 with tax.", []),
        ("$HOME", []),
        ("echo $HOME and $PATH", []),
        ("$ x $", []),
        ("$x $", []),
        ("$ x$", []),
        ("$x$5", []),
        ("$x$5 $y$", [(0, 8, "x$5 $y", False)]),  # as Pandoc: the first $ that may close
        ("US$5 and US$10", []),
        ("$a $b$", [(0, 6, "a $b", False)]),
        # escapes
        ("\\$x$", []),
        ("\\$x\\$", []),
        ("$a\\$b$", [(0, 6, "a\\$b", False)]),
        ("\\\\(x\\\\)", []),
        ("\\\\$x$", [(2, 5, "x", False)]),
        # never empty, never across a blank line, no unclosed formula
        ("$$$$", []),
        ("$$ $$", []),
        ("\\(\\)", []),
        ("$x\n\ny$", []),
        ("$$\na\n\nb\n$$", []),
        ("\\[a\n\nb\\]", []),
        ("$x + y", []),
        ("$$x + y", []),
        ("\\(x + y", []),
        ("\\[x + y\\", []),
        # single line break inside inline math is fine (one paragraph)
        ("$a\nb$", [(0, 5, "a\nb", False)]),
        # code spans and fences
        ("`$x$` $y$", [(6, 9, "y", False)]),
        ("``a ` $x$`` $y$", [(12, 15, "y", False)]),
        ("`unclosed $x$", [(10, 13, "x", False)]),
        ("$5 and `$HOME`", []),
        ("$a `b` c$", []),
        ("```\n$x$\n```\n$z$", [(12, 15, "z", False)]),
        ("~~~~tex\n$$x$$\n~~~\n$$y$$\n~~~~\n$w$", [(29, 32, "w", False)]),
        ("   ```\n$x$\n   ```", []),
        ("- item\n    ```\n    $x$\n    ```\n- $y$", [(33, 36, "y", False)]),
        ("> ```\n> $x$\n> ```\n\n$y$", [(19, 22, "y", False)]),
        ("```\n$open fence$", []),
        ("``` `x` $y$", [(8, 11, "y", False)]),  # a code span, not a fence
        # links
        ("<http://a.b/$x$> $y$", [(17, 20, "y", False)]),
        ("[t](http://b/$x$) $y$", [(18, 21, "y", False)]),
        ("[$x$](http://b)", [(1, 4, "x", False)]),
        # unicode offsets are code points
        ("é😀 $x$", [(3, 6, "x", False)]),
    ],
)
def test_spans(text: str, expected: list[tuple[int, int, str, bool]]) -> None:
    assert spans(text) == expected


def test_span_source_is_the_text_it_covers() -> None:
    text = "a $x$ b $$y$$ c \\(z\\) d \\[w\\]"
    for span in find_math(text):
        assert text[span.start : span.end] == span.source
        assert span.source == span.opening + span.tex + span.closing
    assert [s.opening for s in find_math(text)] == ["$", "$$", "\\(", "\\["]


def test_display_block() -> None:
    assert display_block("$$\nx\n$$\n") == MathSpan(0, 7, "\nx\n", True, "$$")
    assert display_block("  \\[x\\]  ") == MathSpan(2, 7, "x", True, "\\[")
    assert display_block("see $$x$$") is None
    assert display_block("$x$") is None
    assert display_block("$$x$$ $$y$$") is None


# -- properties ------------------------------------------------------------------------------
_plain = st.text(alphabet="ab xyz09+-=.,()\n", max_size=40)
_tex = st.text(alphabet="abxyz09+-=^_{}()\\ ", min_size=1, max_size=20).filter(
    lambda t: not t[0].isspace() and not t[-1].isspace() and not t.endswith("\\")
)
_any = st.text(alphabet="ab $$\\()[]`~\n x5{}<>:", max_size=60)


@settings(max_examples=80, deadline=None)
@given(_any)
def test_spans_are_ordered_exact_and_disjoint(text: str) -> None:
    found = find_math(text)
    end = 0
    for span in found:
        assert span.start >= end
        assert text[span.start : span.end] == span.source
        assert span.tex.strip()
        assert "\n\n" not in span.tex.replace(" ", "")
        end = span.end


@settings(max_examples=80, deadline=None)
@given(_plain, _tex, _plain)
def test_an_inline_formula_is_found_whole(before: str, tex: str, after: str) -> None:
    text = f"{before} ${tex}$ {after}"
    start = len(before) + 1
    assert (start, start + len(tex) + 2, tex, False) in spans(text)


@settings(max_examples=80, deadline=None)
@given(_plain, _tex, _plain, st.sampled_from(["$$", "\\(", "\\["]))
def test_other_delimiters_are_found_whole(before: str, tex: str, after: str, opening: str) -> None:
    closing = {"$$": "$$", "\\(": "\\)", "\\[": "\\]"}[opening]
    assume(closing not in tex)
    text = f"{before} {opening}{tex}{closing} {after}"
    start = len(before) + 1
    found = [s for s in find_math(text) if s.start == start]
    assert len(found) == 1
    assert found[0].tex == tex and found[0].end == start + len(opening + tex + closing)


@settings(max_examples=80, deadline=None)
@given(_plain, _tex, _plain)
def test_an_unclosed_formula_stays_text_while_it_streams(before: str, tex: str, rest: str) -> None:
    whole = f"{before} ${tex}$ {rest}"
    opening = len(before) + 1
    closing = opening + len(tex) + 1
    for cut in range(opening, closing + 1):
        assert all(s.start != opening for s in find_math(whole[:cut]))
    assert any(s.start == opening for s in find_math(whole[: closing + 1]))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(["$5", "$10", "$HOME", "$x", "and", "or", "$", "costs"])))
def test_dollars_after_a_space_never_close_a_formula(words: list[str]) -> None:
    # every `$` here starts a word: none has a non-space before it, so none can close
    assert find_math(" ".join(words)) == []


@settings(max_examples=80, deadline=None)
@given(_any)
def test_escaped_dollars_are_never_math(text: str) -> None:
    escaped = text.replace("\\", "").replace("$", "\\$")
    assert find_math(escaped) == []


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet="ab $\\()[]x\n{}", max_size=40))
def test_nothing_inside_code_is_math(code: str) -> None:
    assert find_math(f"`{code.replace(chr(10), ' ')}`") == []
    body = "\n".join(line for line in code.split("\n") if not line.lstrip().startswith("```"))
    assert find_math(f"```\n{body}\n```\n") == []
