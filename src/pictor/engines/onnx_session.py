"""ONNX Runtime sessions for model files the user brings, created on first use and cached.

Every ONNX engine (segmenters now, inpainters later) goes through ``load_session`` so a
model is loaded once per process, on an execution provider chosen explicitly and
reported. Nothing here runs at import: ``onnxruntime`` itself is imported lazily, so a
service without ONNX models never pays for it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pictor.errors import EngineUnavailable

CPU_PROVIDER = "CPUExecutionProvider"

#: Local accelerators, best first. Providers not listed here (notably
#: ``AzureExecutionProvider``, which calls a remote endpoint) are never picked
#: automatically; they can still be asked for by name.
PREFERRED_PROVIDERS: tuple[str, ...] = (
    "TensorrtExecutionProvider",
    "CUDAExecutionProvider",
    "ROCMExecutionProvider",
    "MIGraphXExecutionProvider",
    "CoreMLExecutionProvider",
    "DmlExecutionProvider",
    "OpenVINOExecutionProvider",
)

DEFAULT_SETTING = "PICTOR_SEGMENT_MODEL"

# Serialized ONNX files are protobuf messages whose first field is ``ir_version``
# (field 1, varint), so a real model starts with this tag byte. Checking it catches a
# PyTorch checkpoint or an HTML error page saved as ``.onnx`` without loading anything.
_ONNX_FIRST_BYTE = 0x08


class ModelUnavailable(EngineUnavailable):
    """The model file is missing, unreadable, or onnxruntime cannot run here."""

    code = "engine_unavailable"


class InvalidModel(EngineUnavailable):
    """The file exists but is not a model this engine can use (corrupt, wrong shape)."""

    code = "invalid_model"


@dataclass(frozen=True)
class LoadedSession:
    """A ready ``onnxruntime.InferenceSession`` and what we know about its model."""

    path: Path
    session: Any = field(repr=False)
    #: The execution provider the session actually runs on (first of its providers).
    provider: str
    #: The model's custom ``metadata_props`` (e.g. ``pictor.input_size``).
    metadata: dict[str, str]
    input_name: str
    #: Dimensions of the first input; ints are static, strings or ``None`` are dynamic.
    input_shape: tuple[int | str | None, ...]
    #: ONNX element type of the first input, e.g. ``"tensor(float)"``.
    input_type: str
    output_names: tuple[str, ...]


_CacheKey = tuple[int, str, int, int, tuple[str, ...]]
_cache: dict[_CacheKey, LoadedSession] = {}
# One lock for every load: loads are rare and slow, and holding it means two threads
# asking for the same model at once build it once.
_lock = threading.Lock()


def available_providers() -> list[str]:
    """The execution providers this onnxruntime build offers, or raise if it is absent."""
    ort = _import_onnxruntime()
    providers: list[str] = list(ort.get_available_providers())
    return providers


def choose_providers(
    requested: Sequence[str] | None,
    available: Sequence[str],
    *,
    setting: str = DEFAULT_SETTING,
) -> tuple[str, ...]:
    """The providers to give a session, best first, always ending with CPU when offered.

    With ``requested`` the order is the caller's; names this build lacks are dropped,
    and if none remain the error lists what is available rather than silently running
    somewhere the operator did not ask for.
    """
    if requested:
        chosen = [p for p in requested if p in available]
        if not chosen:
            raise ModelUnavailable(
                f"none of the requested execution providers {list(requested)} are available "
                f"for {setting}; this onnxruntime offers {list(available)}",
                details={"requested": list(requested), "available": list(available)},
            )
        return tuple(chosen)
    chosen = [p for p in PREFERRED_PROVIDERS if p in available]
    if CPU_PROVIDER in available:
        chosen.append(CPU_PROVIDER)
    if not chosen:
        raise ModelUnavailable(
            f"onnxruntime offers no usable execution provider for {setting}: {list(available)}"
        )
    return tuple(chosen)


def check_model_file(path: Path, *, setting: str = DEFAULT_SETTING) -> None:
    """Cheaply check that ``path`` looks like an ONNX model, without loading it."""
    if not path.is_file():
        raise ModelUnavailable(
            f"model file {str(path)!r} does not exist; set {setting} to the path of an .onnx file",
            details={"setting": setting, "path": str(path)},
        )
    try:
        with path.open("rb") as fh:
            head = fh.read(1)
    except OSError as exc:
        raise ModelUnavailable(
            f"model file {str(path)!r} cannot be read ({exc.strerror}); check {setting}",
            details={"setting": setting, "path": str(path)},
        ) from exc
    if not head or head[0] != _ONNX_FIRST_BYTE:
        raise InvalidModel(
            f"{str(path)!r} is not an ONNX model (empty or wrong header); "
            f"{setting} must point to an exported .onnx file",
            details={"setting": setting, "path": str(path)},
        )


def load_session(
    path: Path,
    providers: Sequence[str] | None = None,
    *,
    setting: str = DEFAULT_SETTING,
) -> LoadedSession:
    """Return the session for ``path``, creating it on first use in this process.

    Cached by (process, resolved path, file mtime and size, providers): replacing the
    model file on disk yields a fresh session, and a child forked after a load builds
    its own rather than sharing onnxruntime's thread pools with its parent.
    ``setting`` is the configuration name errors tell the operator to fix.
    """
    resolved = path.expanduser().resolve()
    check_model_file(resolved, setting=setting)
    chosen = choose_providers(providers, available_providers(), setting=setting)
    stat = resolved.stat()
    key: _CacheKey = (os.getpid(), str(resolved), stat.st_mtime_ns, stat.st_size, chosen)
    # The common case, a hit, must not wait behind another model's slow first load.
    loaded = _cache.get(key)
    if loaded is not None:
        return loaded
    with _lock:
        loaded = _cache.get(key)
        if loaded is None:
            loaded = _create(resolved, chosen, setting)
            # An older version of the same file is dead weight once replaced.
            for old in [k for k in _cache if k[0] == key[0] and k[1] == key[1] and k != key]:
                del _cache[old]
            _cache[key] = loaded
        return loaded


def _create(path: Path, providers: tuple[str, ...], setting: str) -> LoadedSession:
    ort = _import_onnxruntime()
    options = ort.SessionOptions()
    # Warnings about unused initializers and the like are noise in a service log.
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(str(path), sess_options=options, providers=list(providers))
    except Exception as exc:  # onnxruntime's errors share no base class but Exception
        raise InvalidModel(
            f"{str(path)!r} could not be loaded as an ONNX model ({exc}); "
            f"check that {setting} points to a valid exported model",
            details={"setting": setting, "path": str(path)},
        ) from exc
    inputs = session.get_inputs()
    outputs = session.get_outputs()
    if not inputs or not outputs:
        raise InvalidModel(
            f"{str(path)!r} has no inputs or no outputs; {setting} must be an image model",
            details={"setting": setting, "path": str(path)},
        )
    first = inputs[0]
    return LoadedSession(
        path=path,
        session=session,
        provider=str(session.get_providers()[0]),
        metadata=dict(session.get_modelmeta().custom_metadata_map),
        input_name=str(first.name),
        input_shape=tuple(first.shape),
        input_type=str(first.type),
        output_names=tuple(str(o.name) for o in outputs),
    )


def _import_onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError as exc:
        raise ModelUnavailable(
            "onnxruntime is not installed; install it to use ONNX models "
            "(pip install onnxruntime, or onnxruntime-gpu)"
        ) from exc
    return onnxruntime
