"""Small helpers for form dialogs: rows of two widgets, label mnemonics, muted help lines
under a field, one look for every form, restyling a label."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QWidget

from desktop.safe_text import plain
from desktop.views.widget_utils import repolish


def side_by_side(parent: QWidget, main: QWidget, side: QWidget) -> QWidget:
    """`main` (stretching) and `side` in one row; focusing the row focuses `main`."""
    row = QWidget(parent)
    box = QHBoxLayout(row)
    box.setContentsMargins(0, 0, 0, 0)
    box.addWidget(main, 1)
    box.addWidget(side)
    row.setFocusProxy(main)
    return row


def label_buddies(form: QFormLayout) -> None:
    """Alt+letter on a label focuses its field (also for rows that wrap a widget)."""
    for row in range(form.rowCount()):
        label_item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        field_item = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
        if label_item is None or field_item is None:
            continue
        label, field = label_item.widget(), field_item.widget()
        if isinstance(label, QLabel) and field is not None:
            target = field.focusProxy() or field
            label.setBuddy(target)
            name_after(target, label.text())


def name_after(widget: QWidget, label: str) -> None:
    """Give `widget` (and an editable combo box's line edit) the label's words as its
    accessible name, unless it has one: a screen reader says what the field is for."""
    words = label.replace("&&", "\0").replace("&", "").replace("\0", "&").strip().rstrip(":")
    if not words:
        return
    for target in (
        widget,
        *(widget.findChildren(QLineEdit) if isinstance(widget, QComboBox) else ()),
    ):
        if not target.accessibleName():
            target.setAccessibleName(words)


def help_line(form: QFormLayout, field: QWidget, text: str) -> QLabel:
    """A muted line of help under `field`'s row (in the field column), also its
    accessible description (a screen reader says it after the name)."""
    line = plain(QLabel(text))
    line.setObjectName("settingsHelp")  # muted (resources/styles)
    line.setWordWrap(True)
    form.addRow("", line)
    describe((field, text))
    return line


def describe(*pairs: tuple[QWidget, str]) -> None:
    """Accessible descriptions (what a screen reader says after the name), also on an
    editable combo box's line edit (the part that takes the focus)."""
    for widget, text in pairs:
        for target in (widget, *widget.findChildren(QLineEdit)):
            target.setAccessibleDescription(text)


def tidy_form(form: QFormLayout) -> None:
    """One look for the Settings forms: labels left-aligned in their column, fields
    growing, rows never wrapped under their labels."""
    form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)


def align_labels(*forms: QFormLayout) -> None:
    """One label column width for forms stacked in one page (its fields line up)."""
    labels = [
        item.widget()
        for form in forms
        for row in range(form.rowCount())
        if (item := form.itemAt(row, QFormLayout.ItemRole.LabelRole)) is not None
    ]
    shown = [label for label in labels if isinstance(label, QLabel) and label.text()]
    width = max((label.sizeHint().width() for label in shown), default=0)
    for label in shown:
        label.setMinimumWidth(width)


def restyle(label: QLabel, severity: str) -> None:
    """Set the label's `severity` (the stylesheet colours errors) and re-apply its style
    (always: the caller may have renamed the label too)."""
    label.setProperty("severity", severity)
    repolish(label)
