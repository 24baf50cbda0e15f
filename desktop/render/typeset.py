"""Typography of a rendered Markdown document (DESIGN.md's Type section, `desktop.theme.TYPE`).

Qt's Markdown importer gives headings relative font sizes (H1 twice the body), lists a
40-px indent per level, blockquotes a plain indent, inline code a monospace font and
nothing else, tables 4 px of padding. `typeset(document, colors)` sets, after each
`setMarkdown`, in one edit block (one relayout):

- headings at `TYPE.h1/h2/h3` times the body size, semibold, space above;
- every text block's line height (`TYPE.line_height` of the font size) and paragraph
  spacing; list items a small gap;
- the list indent (`TYPE.list_indent` em per level, bullets and numbers alike);
- blockquotes: muted text, indented past their bar (`quote_bars()` says where to draw it:
  QTextDocument cannot draw a one-sided border);
- inline code: the system monospace at `TYPE.code` size on the inline-code tint;
- tables: collapsed 1-px borders in the border colour, cell padding, a header row in
  semibold on the surface colour; a short cell (or one long word) is never wrapped, so a
  table too wide for the column makes its segment scroll sideways.

Only formats change: the text (and so Copy) stays exactly what the importer made.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QRectF
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontDatabase,
    QFontInfo,
    QFontMetricsF,
    QTextBlock,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextFrameFormat,
    QTextLength,
    QTextTable,
    QTextTableCellFormat,
)

from desktop.theme import TYPE, ThemeColors

SIZE_ADJUSTMENT = QTextFormat.Property.FontSizeAdjustment
QUOTE_LEVEL = QTextFormat.Property.BlockQuoteLevel
HEADING_SCALE = {1: TYPE.h1, 2: TYPE.h2, 3: TYPE.h3}


@lru_cache(maxsize=1)
def code_font() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def _pixel_size(font: QFont) -> float:
    return float(QFontInfo(font).pixelSize()) or QFontMetricsF(font).height()


def _line_percent(font: QFont) -> float:
    """Qt's proportional line height that makes lines `TYPE.line_height` times the font
    size (Qt's 100% is the font's own line spacing, about 1.2 times its size)."""
    return 100.0 * TYPE.line_height * _pixel_size(font) / QFontMetricsF(font).lineSpacing()


def _sized(font: QFont, scale: float) -> QTextCharFormat:
    fmt = QTextCharFormat()
    if font.pointSizeF() > 0:
        fmt.setFontPointSize(font.pointSizeF() * scale)
    else:
        fmt.setProperty(QTextFormat.Property.FontPixelSize, round(font.pixelSize() * scale))
    return fmt


def typeset(document: QTextDocument, colors: ThemeColors) -> bool:
    """Set `document`'s typography (see the module's text); True if it has a blockquote
    (its owner draws the bars: `quote_bars`)."""
    font = document.defaultFont()
    em = _pixel_size(font)
    percent = _line_percent(font)
    document.setIndentWidth(TYPE.list_indent * em)
    muted = QColor(colors.muted)
    code = QTextCharFormat()
    code.setFontFamilies(code_font().families())
    code.setFontFixedPitch(True)
    code.setBackground(QColor(colors.inline_code_bg))
    code_size = _sized(font, TYPE.code)
    code.merge(code_size)
    cursor = QTextCursor(document)
    cursor.beginEditBlock()
    try:
        # what most blocks take, in one edit: the line height and a paragraph's spacing
        every = QTextBlockFormat()
        every.setLineHeight(percent, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
        every.setTopMargin(0)
        every.setBottomMargin(TYPE.paragraph_space * em)
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.mergeBlockFormat(every)
        quotes = False
        block = document.firstBlock()
        while block.isValid():
            quotes |= _block(cursor, block, font, em, code, muted)
            block = block.next()
        for frame in document.rootFrame().childFrames():
            if isinstance(frame, QTextTable):
                _table(frame, colors)
    finally:
        cursor.endEditBlock()
    return quotes


def _block(
    cursor: QTextCursor,
    block: QTextBlock,
    font: QFont,
    em: float,
    code: QTextCharFormat,
    muted: QColor,
) -> bool:
    """The formats of a heading, a list item or a quote, and of inline code anywhere."""
    fmt = block.blockFormat()
    level = fmt.headingLevel()
    quote = int(fmt.property(QUOTE_LEVEL) or 0)
    if level or quote or block.textList() is not None:
        new = QTextBlockFormat()
        if level:
            new.setTopMargin(TYPE.heading_space * em if block.previous().isValid() else 0)
            new.setBottomMargin(TYPE.heading_after * em)
        elif not quote:
            new.setBottomMargin(TYPE.item_space * em)
        if quote:
            new.setLeftMargin(quote * (TYPE.quote_bar + TYPE.quote_pad))
        cursor.setPosition(block.position())
        cursor.mergeBlockFormat(new)
    if quote:
        chars = QTextCharFormat()
        chars.setForeground(muted)
        cursor.setPosition(block.position())
        cursor.setPosition(block.position() + block.length() - 1, QTextCursor.MoveMode.KeepAnchor)
        cursor.mergeCharFormat(chars)
    heading = _sized(font, HEADING_SCALE.get(level, 1.0)) if level else None
    if heading is not None:
        heading.setFontWeight(QFont.Weight.DemiBold.value)
    changes: list[tuple[int, int, QTextCharFormat]] = []
    spans = block.begin()
    while not spans.atEnd():
        fragment = spans.fragment()
        spans += 1
        span = fragment.charFormat()
        if heading is not None:
            # every span of a heading at its size (the importer sizes the first one
            # only, and relatively: a relative size overrides any size set)
            span.clearProperty(SIZE_ADJUSTMENT)
            span.merge(heading)
        elif span.fontFixedPitch():
            span.merge(code)
        else:
            continue
        changes.append((fragment.position(), fragment.position() + fragment.length(), span))
    for start, stop, span in changes:
        cursor.setPosition(start)
        cursor.setPosition(stop, QTextCursor.MoveMode.KeepAnchor)
        cursor.setCharFormat(span)
    return bool(quote)


def _table(table: QTextTable, colors: ThemeColors) -> None:
    fmt = table.format()
    fmt.setBorder(1)
    fmt.setBorderBrush(QBrush(QColor(colors.border)))
    fmt.setBorderStyle(QTextFrameFormat.BorderStyle.BorderStyle_Solid)
    fmt.setBorderCollapse(True)
    fmt.setCellSpacing(0)
    fmt.setCellPadding(0)  # per cell, below (sides and top/bottom differ)
    fmt.setWidth(QTextLength())  # as wide as its content (up to the column)
    table.setFormat(fmt)
    header = max(fmt.headerRowCount(), 1)
    for row in range(table.rows()):
        for column in range(table.columns()):
            cell = table.cellAt(row, column)
            first = cell.firstCursorPosition()
            while first.block().length() == 1 and first.position() < cell.lastPosition():
                first.deleteChar()  # an empty first line (Qt's importer, after a quote)
            cell_fmt = QTextTableCellFormat()
            cell_fmt.setLeftPadding(TYPE.cell_pad_x)
            cell_fmt.setRightPadding(TYPE.cell_pad_x)
            cell_fmt.setTopPadding(TYPE.cell_pad_y)
            cell_fmt.setBottomPadding(TYPE.cell_pad_y)
            if row < header:
                cell_fmt.setBackground(QColor(colors.alternate_base))
                cell_fmt.setFontWeight(QFont.Weight.DemiBold.value)
            cell.setFormat(cell_fmt)
            # a short cell (or one long word) stays on one line: a table too wide for
            # the column scrolls sideways rather than breaking its words anywhere
            cursor = cell.firstCursorPosition()
            cursor.setPosition(cell.lastPosition(), QTextCursor.MoveMode.KeepAnchor)
            text = cursor.selectedText()
            lines = QTextBlockFormat()
            lines.setTopMargin(0)
            lines.setBottomMargin(0)
            lines.setNonBreakableLines(len(text) <= TYPE.cell_nowrap_chars or " " not in text)
            cursor.mergeBlockFormat(lines)
            if row < header:
                bold = QTextCharFormat()
                bold.setFontWeight(QFont.Weight.DemiBold.value)
                cursor.mergeCharFormat(bold)


def quote_bars(document: QTextDocument) -> list[QRectF]:
    """Where the blockquotes' bars go, in document coordinates (one per quote level of
    each run of quoted blocks)."""
    layout = document.documentLayout()
    margin = document.documentMargin()
    step = TYPE.quote_bar + TYPE.quote_pad
    bars: list[QRectF] = []
    open_runs: dict[int, QRectF] = {}
    block = document.firstBlock()
    while block.isValid():
        level = int(block.blockFormat().property(QUOTE_LEVEL) or 0)
        rect = layout.blockBoundingRect(block)
        for depth in list(open_runs):
            if depth > level:
                bars.append(open_runs.pop(depth))
        lines = block.layout()
        last = lines.lineAt(lines.lineCount() - 1) if lines.lineCount() else None
        top = rect.top()
        bottom = top + (last.y() + last.height() if last is not None else rect.height())
        for depth in range(1, level + 1):
            run = open_runs.get(depth)
            if run is None:
                x = margin + (depth - 1) * step
                open_runs[depth] = QRectF(x, top, TYPE.quote_bar, bottom - top)
            else:
                run.setBottom(bottom)
        block = block.next()
    bars.extend(open_runs.values())
    return bars


def space_lines(document: QTextDocument) -> None:
    """Plain text (a user's message): lines `TYPE.line_height` apart, nothing else."""
    fmt = QTextBlockFormat()
    fmt.setLineHeight(
        _line_percent(document.defaultFont()),
        QTextBlockFormat.LineHeightTypes.ProportionalHeight.value,
    )
    cursor = QTextCursor(document)
    cursor.select(QTextCursor.SelectionType.Document)
    cursor.mergeBlockFormat(fmt)
