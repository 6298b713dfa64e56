"""The one list of job kinds. Plug-in modules named in ``PICTOR_PLUGINS`` may add more."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from pictor.pipelines import remove_background
from pictor.pipelines.spec import PipelineSpec
from pictor.registry import Registry


def build_catalog(plugins: Iterable[str] = ()) -> Registry[PipelineSpec]:
    catalog: Registry[PipelineSpec] = Registry("job kind")
    catalog.register(remove_background.SPEC.kind, remove_background.SPEC)
    for module_name in plugins:
        module = importlib.import_module(module_name)
        register = getattr(module, "register", None)
        if register is None:
            raise ValueError(f"plugin {module_name} has no register(catalog) function")
        register(catalog)
    return catalog
