"""Math benchmark: ms per formula (ziamath typesetting, QtSvg drawing), first-use cost, and
how late a GUI-thread heartbeat runs while the worker typesets a reply's formulas.

    .venv/bin/python bench/math_bench.py [--repeat 5]

Prints figures, no asserts. Typesetting runs where the app runs it (any thread): here on
the main thread for the per-formula times, then on the renderer's worker thread with a 5 ms
heartbeat timer on the GUI thread for the lateness figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

FORMULAS = [
    r"E = mc^2",
    r"\alpha + \beta \leq \gamma",
    r"x_{i,j}^{(k)}",
    r"\frac{a}{b} + \sqrt{x^2+y^2}",
    r"x = \frac{-b \pm \sqrt{b^2-4ac}}{2a}",
    r"\int_0^\infty e^{-x^2}\,dx = \frac{\sqrt{\pi}}{2}",
    r"\sum_{n=1}^{\infty} \frac{1}{n^2} = \frac{\pi^2}{6}",
    r"\lim_{x\to 0} \frac{\sin x}{x} = 1",
    r"\mathbb{R}^n \to \mathcal{L}(V)",
    r"\hat{\theta} = \arg\max_\theta \log p(x \mid \theta)",
    r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}",
    r"f(x) = \begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}",
    r"\nabla \cdot \mathbf{E} = \frac{\rho}{\varepsilon_0}",
    r"P(A \mid B) = \frac{P(B \mid A)\,P(A)}{P(B)}",
    r"\binom{n}{k} = \frac{n!}{k!\,(n-k)!}",
    r"\left( \sum_{i=1}^n a_i b_i \right)^2 \le \sum a_i^2 \sum b_i^2",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    _app = QApplication([])  # kept: the renderer is its child
    from desktop.render import mathrender
    from desktop.render.mathrender import MathKey, draw, math_renderer, typeset
    from desktop.workers.server import share_interpreter_finely

    started = time.perf_counter()
    mathrender._zm()
    print(f"first use: import ziamath (+ its font) {1000 * (time.perf_counter() - started):.0f} ms")

    typeset_ms: list[float] = []
    draw_ms: list[float] = []
    for tex in FORMULAS:
        runs_t, runs_d = [], []
        for i in range(args.repeat):
            key = MathKey(tex, False, 16.0 + i * 0.1, "#1f2328", 1.0, 1.75)
            t0 = time.perf_counter()
            svg, ascent, descent = typeset(tex, False, key.size, key.color)
            t1 = time.perf_counter()
            result = draw(svg, ascent, descent, key)
            t2 = time.perf_counter()
            assert result.ok, tex
            runs_t.append(1000 * (t1 - t0))
            runs_d.append(1000 * (t2 - t1))
        t, d = statistics.median(runs_t), statistics.median(runs_d)
        typeset_ms.append(t)
        draw_ms.append(d)
        print(f"{t + d:7.2f} ms (typeset {t:6.2f}, draw {d:5.2f})  {tex}")
    total = [t + d for t, d in zip(typeset_ms, draw_ms, strict=True)]
    print(
        f"per formula: median {statistics.median(total):.1f} ms, min {min(total):.1f} ms, "
        f"max {max(total):.1f} ms; QtSvg drawing: median {statistics.median(draw_ms):.2f} ms"
    )

    # the worker: every formula at a new size (not cached), a GUI heartbeat meanwhile,
    # against the same heartbeat with nothing else to do
    share_interpreter_finely()  # as the app does (BackendLauncher)
    renderer = math_renderer()
    keys = [MathKey(tex, i % 2 == 0, 17.0, "#1f2328") for i, tex in enumerate(FORMULAS * 3)]
    keys = [MathKey(k.tex, k.display, 17.0 + n * 0.01, k.color) for n, k in enumerate(keys)]

    def heartbeat(seconds: float | None) -> tuple[list[float], float]:
        lateness: list[float] = []
        last = [time.perf_counter()]
        loop = QEventLoop()
        beat = QTimer()
        beat.setTimerType(Qt.TimerType.PreciseTimer)
        beat.setInterval(5)

        def tick() -> None:
            now = time.perf_counter()
            lateness.append(max(0.0, 1000 * (now - last[0]) - 5))
            last[0] = now
            if seconds is None and not renderer.busy:
                loop.quit()

        beat.timeout.connect(tick)
        t0 = time.perf_counter()
        if seconds is None:
            for key in keys:
                renderer.lookup(key)
        else:
            QTimer.singleShot(int(seconds * 1000), loop.quit)
        beat.start()
        loop.exec()
        beat.stop()
        return sorted(lateness), time.perf_counter() - t0

    def line(lateness: list[float]) -> str:
        p99 = lateness[int(0.99 * (len(lateness) - 1))]
        p50, worst = statistics.median(lateness), max(lateness)
        return f"p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {worst:.2f} ms"

    busy, elapsed = heartbeat(None)
    idle, _ = heartbeat(elapsed)
    print(
        f"worker: {len(keys)} formulas in {elapsed:.2f} s "
        f"({1000 * elapsed / len(keys):.1f} ms each)"
    )
    print(f"GUI heartbeat (5 ms) lateness while typesetting: {line(busy)}")
    print(f"GUI heartbeat (5 ms) lateness idle, as long:     {line(idle)}")
    renderer.stop()


if __name__ == "__main__":
    main()
