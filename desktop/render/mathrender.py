"""LaTeX formulas as images: `ziamath` (pure Python) typesets to SVG, QtSvg draws it.

`render_math(key)` does one formula synchronously; `MathRenderer` (one per application,
`math_renderer()`) does them on a worker thread and caches the results by `MathKey`
(source, display or inline, size, colour, device pixel ratio, baseline lift), since one
formula takes 2-70 ms to typeset: too long for the GUI thread. `lookup(key)` answers at
once - the image, `FAILED`, or None while the formula waits its turn (then `ready` is
emitted once it is done).

A formula ziamath cannot typeset (a parse error, an unknown command, anything it raises)
or one longer than `MAX_TEX_CHARS` is `FAILED`: the caller shows its source instead.
Nothing here shows a dialog or lets an exception out.

An inline image is padded so that it sits on the text's baseline when Qt centres it on
the line (`QTextCharFormat.AlignMiddle` centres an inline object `lift` = x-height / 4
above the baseline): its formula's baseline then lines up with the text's.
"""

from __future__ import annotations

import logging
import math
import queue
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QByteArray, QCoreApplication, QObject, QRectF, Signal
from PySide6.QtGui import QImage, QPainter

log = logging.getLogger(__name__)

#: A longer formula is not typeset (its source is shown).
MAX_TEX_CHARS = 4000
#: Images kept in the cache, counted in bytes of pixels.
CACHE_BYTES = 48 * 1024 * 1024
#: The worker thread ends after this long without work (a new formula starts it again).
IDLE_SECONDS = 5.0
#: latex2mathml leaves a command it does not know as an identifier named like it.
_UNKNOWN_COMMAND = re.compile(r">\\[A-Za-z]+<")


class MathError(Exception):
    """The formula cannot be typeset (the reason is the message)."""


@dataclass(frozen=True, slots=True)
class MathKey:
    """What an image depends on. `size` is the font size in pixels; `lift` the height
    above the baseline at which Qt centres an inline image (None: display, unpadded)."""

    tex: str
    display: bool
    size: float
    color: str
    dpr: float = 1.0
    lift: float | None = None


@dataclass(frozen=True, slots=True)
class MathImage:
    """A typeset formula: `image` (device pixels, its device pixel ratio set) and its
    size in logical pixels. `baseline`: the formula's baseline, from the top."""

    image: QImage
    width: float
    height: float
    baseline: float

    @property
    def ok(self) -> bool:
        return not self.image.isNull()


FAILED = MathImage(QImage(), 0.0, 0.0, 0.0)

_ziamath: Any = None
_import_lock = threading.Lock()


def _zm() -> Any:
    """ziamath, imported on first use (it takes ~0.25 s; never at start-up)."""
    global _ziamath
    with _import_lock:
        if _ziamath is None:
            import ziamath
            from ziamath.config import config

            config.svg2 = False  # SVG 1.1 <use xlink:href>, which QtSvg draws
            _ziamath = ziamath
        return _ziamath


def typeset(tex: str, display: bool, size: float, color: str) -> tuple[str, float, float]:
    """The SVG of `tex` and its ascent and descent (pixels, margins included)."""
    if len(tex) > MAX_TEX_CHARS:
        raise MathError(f"longer than {MAX_TEX_CHARS} characters")
    zm = _zm()
    from ziamath.tex import tex2mml

    try:
        mathml = tex2mml(tex, inline=not display)
        unknown = _UNKNOWN_COMMAND.search(mathml)
        if unknown is not None:
            raise MathError(f"unknown command {unknown.group(0)[1:-1]}")
        expression = zm.Math(_with_colour(mathml, color), size=size)
        svg = expression.svg()
        bbox = expression.node.bbox
        margin = float(expression.margin)
        ascent = float(bbox.ymax) + margin
        descent = -float(bbox.ymin) + margin
    except MathError:
        raise
    except Exception as exc:  # ziamath raises anything (AssertionError, IndexError, ...)
        raise MathError(f"{type(exc).__name__}: {exc}") from exc
    if not (math.isfinite(ascent) and math.isfinite(descent)) or ascent + descent <= 0:
        raise MathError("empty formula")
    return svg, ascent, descent


def _with_colour(mathml: str, color: str) -> str:
    """`mathml` with `mathcolor` on its root element."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(mathml)
    root.attrib["mathcolor"] = color
    return ET.tostring(root, encoding="unicode")


def render_math(key: MathKey) -> MathImage:
    """Typeset and draw one formula (any thread); `FAILED` if it cannot be typeset."""
    try:
        svg, ascent, descent = typeset(key.tex, key.display, key.size, key.color)
    except MathError as exc:
        log.info("formula not typeset (%s): %.80r", exc, key.tex)
        return FAILED
    return draw(svg, ascent, descent, key)


def draw(svg: str, ascent: float, descent: float, key: MathKey) -> MathImage:
    """A typeset formula's SVG drawn into an image (QtSvg), padded by `key.lift`."""
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    if not renderer.isValid():
        log.info("formula SVG not drawable: %.80r", key.tex)
        return FAILED
    view = renderer.viewBoxF()
    top = bottom = 0.0
    if key.lift is not None:  # pad so that the formula's baseline meets the text's
        excess = (ascent - descent) - 2 * key.lift
        bottom, top = (excess, 0.0) if excess > 0 else (0.0, -excess)
    width = view.width()
    height = ascent + descent + top + bottom
    dpr = key.dpr if key.dpr > 0 else 1.0
    image = QImage(
        max(1, math.ceil(width * dpr)),
        max(1, math.ceil(height * dpr)),
        QImage.Format.Format_ARGB32_Premultiplied,
    )
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, top * dpr, width * dpr, (ascent + descent) * dpr))
    painter.end()
    image.setDevicePixelRatio(dpr)
    return MathImage(image, width, height, top + ascent)


def _cost(result: MathImage) -> int:
    return max(64, result.image.sizeInBytes())


class MathRenderer(QObject):
    """Typesets formulas on a worker thread; results cached (LRU, `CACHE_BYTES`)."""

    #: Some formulas asked for have been rendered (emitted on the GUI thread).
    ready = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sse-chat-math")
        self._lock = threading.Lock()
        self._cache: OrderedDict[MathKey, MathImage] = OrderedDict()
        self._bytes = 0
        self._queued: set[MathKey] = set()
        self._jobs: queue.SimpleQueue[MathKey | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stopping = False
        #: formulas rendered by the worker (for tests and figures)
        self.rendered = 0
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)

    def lookup(self, key: MathKey) -> MathImage | None:
        """The image of `key` (maybe `FAILED`), or None: then it is queued, and `ready`
        follows once it is done."""
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
            if key not in self._queued:
                self._queued.add(key)
                self._jobs.put(key)
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._work, name="sse-chat-math", daemon=True
                    )
                    self._thread.start()
        return None

    def cached(self, key: MathKey) -> MathImage | None:
        """The image of `key` if it is cached (nothing is queued)."""
        with self._lock:
            return self._cache.get(key)

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._queued)

    def _work(self) -> None:
        while True:
            try:
                key = self._jobs.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._jobs.empty():
                        self._thread = None
                        return
                continue
            if key is None or self._stopping:
                with self._lock:
                    self._thread = None
                    self._queued.clear()
                    self._stopping = False
                return
            try:
                result = render_math(key)
            except Exception:  # never let the worker die; the source is shown instead
                log.exception("rendering a formula failed")
                result = FAILED
            with self._lock:
                self._store(key, result)
                self._queued.discard(key)
                self.rendered += 1
            self.ready.emit()

    def _store(self, key: MathKey, result: MathImage) -> None:
        self._cache[key] = result
        self._bytes += _cost(result)
        while self._bytes > CACHE_BYTES and len(self._cache) > 1:
            _old, dropped = self._cache.popitem(last=False)
            self._bytes -= _cost(dropped)

    def stop(self, timeout: float = 5.0) -> None:
        """End the worker thread (after the formula it is on)."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            self._stopping = True
            self._jobs.put(None)
            thread.join(timeout)


_instance: MathRenderer | None = None


def math_renderer() -> MathRenderer:
    """The application's renderer (made on first use, a child of the application)."""
    global _instance
    if _instance is None or not shiboken6.isValid(_instance):
        _instance = MathRenderer(QCoreApplication.instance())
    return _instance
