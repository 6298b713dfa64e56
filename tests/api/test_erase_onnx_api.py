"""``erase`` and ``remove_watermark`` jobs on a configured ONNX inpainting model.

A runtime of its own (PICTOR_INPAINT_MODEL set), SQLite only, with real workers and
process pool: the engine must reach the child process and run there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import numpy as np
import pytest
from tests.api.test_erase_api import upload_png
from tests.api.test_onnx_engine_api import http_client, started
from tests.conftest import new_user
from tests.inpaint.onnx_inpaint_models import mean_fill_model
from tests.inpaint.synthetic import png_pixels

from pictor.runtime import Runtime

BACKDROP = (30, 160, 90)


@pytest.fixture(scope="module")
async def inpaint_runtime(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Runtime]:
    data_dir = tmp_path_factory.mktemp("pictor-onnx-inpaint")
    model = mean_fill_model(data_dir / "lama.onnx", size=64)
    runtime = await started(data_dir, inpaint={"model": model, "margin": 32})
    yield runtime
    await runtime.stop()


async def run(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> Any:
    response = await client.post("/v1/jobs", json=body, headers={**headers, "Prefer": "wait=60"})
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["status"] == "succeeded", job
    return job


async def test_erase_and_a_region_run_on_the_configured_model(inpaint_runtime: Runtime) -> None:
    user = await new_user(inpaint_runtime)
    image = np.full((240, 320, 3), BACKDROP, np.uint8)
    image[100:130, 140:200] = (255, 255, 255)
    image[220:236, 290:316] = (250, 10, 10)
    async with http_client(inpaint_runtime) as client:
        upload = await upload_png(client, user, image)
        erased = await run(
            client,
            user.headers,
            {
                "kind": "erase",
                "input": {"upload_id": upload},
                "params": {"engine": "onnx", "regions": [{"x": 140, "y": 100, "w": 60, "h": 30}]},
            },
        )
        cleaned = await run(
            client,
            user.headers,
            {
                "kind": "remove_watermark",
                "input": {"upload_id": upload},
                "params": {
                    "engine": "onnx",
                    "region": {"width": 32, "height": 24, "units": "px"},
                },
            },
        )
        out = [
            png_pixels((await client.get(j["outputs"][0]["url"])).content)
            for j in (erased, cleaned)
        ]
    assert erased["engine"] == "onnx:lama.onnx" and cleaned["engine"] == "onnx:lama.onnx"
    # The model fills each hole with the mean of the known pixels around it: the backdrop.
    hole = np.abs(out[0][100:130, 140:200].astype(int) - BACKDROP).max()
    corner = np.abs(out[1][216:240, 288:320].astype(int) - BACKDROP).max()
    assert hole <= 3 and corner <= 3, (hole, corner)
