"""relayout through a real localize job: the runtime's child-process CPU pool (spawn),
so every argument and result crosses a pickle boundary, as in production."""

from __future__ import annotations

import io
import json
import zipfile

import httpx
import numpy as np
from PIL import Image
from tests.conftest import User
from tests.localize_relayout.ads import make_ad

from pictor.runtime import Runtime

GERMAN = {"SUMMER SALE": "SOMMERSCHLUSSVERKAUF", "Shop now": "Jetzt kaufen"}
ARABIC = {"SUMMER SALE": "تخفيضات الصيف", "Shop now": "تسوق الآن"}


def translations() -> str:
    merged: dict[str, dict[str, str]] = {}
    for language, table in (("german", GERMAN), ("arabic", ARABIC)):
        for source, target in table.items():
            merged.setdefault(source, {})[language] = target
    return json.dumps(merged, ensure_ascii=False)


async def test_relayout_runs_as_a_job_in_the_process_pool(
    client: httpx.AsyncClient, runtime: Runtime, user: User
) -> None:
    assert runtime.cpu is not None and runtime.cpu.processes, "the pool runs child processes"
    ad, _ = make_ad(800, 600)
    form = {
        "target_languages": "german,arabic",
        "engine": "relayout",
        "aspect_ratio": "1:1",
        "translations": translations(),
    }

    response = await client.post(
        "/v1/localizations",
        files={"file": ("ad.png", ad, "image/png")},
        data=form,
        headers={**user.headers, "Prefer": "wait=60"},
    )

    assert response.status_code == 201, response.text
    job = response.json()
    assert job["status"] == "succeeded", job
    assert runtime.cpu.child_pids(), "the work ran in child processes"
    entries = {e["language"]: e for e in job["result"]["languages"]}
    for language, table in (("german", GERMAN), ("arabic", ARABIC)):
        entry = entries[language]
        assert entry["status"] == "succeeded", entry
        assert entry["engine"].startswith("relayout:")
        assert (entry["width"], entry["height"]) == (1024, 1024)
        done = {item["source"]: item["target"] for item in entry["details"]["translated"]}
        assert done == table
        # Texts with no translation stay as they are, listed.
        left = {item["source"] for item in entry["details"]["untranslated"]}
        assert left == {"New running shoes", "Up to 50% off", "Free delivery"}

    archive = await client.get(f"/v1/localizations/{job['id']}/archive", headers=user.headers)
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.content)) as files:
        assert sorted(files.namelist()) == [
            "germany-german.png",
            "manifest.json",
            "middle_east-arabic.png",
        ]
        german = np.asarray(Image.open(io.BytesIO(files.read("germany-german.png"))).convert("L"))
        arabic = np.asarray(Image.open(io.BytesIO(files.read("middle_east-arabic.png"))))
    assert german.shape == (1024, 1024)
    assert arabic.shape[:2] == (1024, 1024)
    assert np.abs(german.astype(int) - np.asarray(Image.fromarray(arabic).convert("L"))).max() > 0
