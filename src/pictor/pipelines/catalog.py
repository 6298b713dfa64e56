"""The one list of job kinds. Plug-in modules named in ``PICTOR_PLUGINS`` may add more."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Iterable, Mapping

from pictor.pipelines import generate, remove_background
from pictor.pipelines.erase import SPEC as ERASE_SPEC
from pictor.pipelines.localize import SPEC as LOCALIZE_SPEC
from pictor.pipelines.logo import SPEC as LOGO_SPEC
from pictor.pipelines.remove_watermark import SPEC as REMOVE_WATERMARK_SPEC
from pictor.pipelines.spec import PipelineSpec
from pictor.registry import Registry


def build_catalog(
    plugins: Iterable[str] = (), *, timeouts: Mapping[str, float] | None = None
) -> Registry[PipelineSpec]:
    """Every job kind; ``timeouts`` (PICTOR_WORKER_TIMEOUTS) overrides a kind's own."""
    catalog: Registry[PipelineSpec] = Registry("job kind")
    catalog.register(remove_background.SPEC.kind, remove_background.SPEC)
    catalog.register(ERASE_SPEC.kind, ERASE_SPEC)
    catalog.register(REMOVE_WATERMARK_SPEC.kind, REMOVE_WATERMARK_SPEC)
    catalog.register(generate.GENERATE.kind, generate.GENERATE)
    catalog.register(generate.EDIT.kind, generate.EDIT)
    catalog.register(LOGO_SPEC.kind, LOGO_SPEC)
    catalog.register(LOCALIZE_SPEC.kind, LOCALIZE_SPEC)
    for module_name in plugins:
        module = importlib.import_module(module_name)
        register = getattr(module, "register", None)
        if register is None:
            raise ValueError(f"plugin {module_name} has no register(catalog) function")
        register(catalog)
    if not timeouts:
        return catalog
    tuned: Registry[PipelineSpec] = Registry("job kind")
    for kind, spec in catalog.items():
        seconds = timeouts.get(kind, spec.timeout_s)
        tuned.register(kind, dataclasses.replace(spec, timeout_s=seconds))
    for kind in timeouts:
        catalog.get(kind)  # an unknown kind in the setting is an error, with the known ones
    return tuned
