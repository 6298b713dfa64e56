"""A second user tries every id-bearing route of the app on the first user's resources.

The routes come from the app itself, so a new route with a path parameter fails here
until it is given a resource below: no route can ship without its ownership checked.
The answer is always 404 (as for an id that does not exist), 403 on admin routes;
the exceptions are listed in ``EXCEPTIONS`` with their reasons. Then the owner reads
every GET route with the same ids and never gets 404: the ids were real, and the other
user's attempts (deletes, cancels, retries) changed nothing.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from sqlalchemy import insert
from starlette.routing import Route
from tests.accounts.asgi import response_status, websocket_close_code
from tests.conftest import User
from tests.support.images import product_photo

from pictor.billing.models import CheckoutSession
from pictor.db.base import utcnow
from pictor.jobs.models import Job
from pictor.runtime import Runtime
from pictor.watermarks.builtins import builtin_rows
from pictor.watermarks.models import WatermarkTemplate
from pictor.webhooks.models import WebhookDelivery

#: (path prefix, path parameter) -> which of the owner's resources fills it. The
#: longest matching prefix wins, so a parameter name used by two areas (studio and
#: billing both have a ``session_id``) names the right resource.
RESOURCE_FOR: dict[tuple[str, str], str] = {
    ("/v1/me/keys/", "key_id"): "api_key",
    ("/v1/artifacts/", "artifact_id"): "output",
    ("/files/", "artifact_id"): "output",
    ("/v1/jobs/", "job_id"): "job",
    ("/v1/localizations/", "job_id"): "localize_job",
    ("/v1/watermark-templates/", "template_id"): "template",
    ("/v1/gallery/", "item_id"): "output",
    ("/v1/studio/sessions/", "session_id"): "studio_session",
    ("/v1/studio/sessions/", "message_id"): "studio_message",
    ("/v1/batches/", "batch_id"): "batch",
    ("/v1/webhooks/deliveries/", "delivery_id"): "delivery",
    ("/v1/billing/purchases/", "session_id"): "purchase",
    ("/v1/admin/users/", "user_id"): "user",
}

#: Bodies for routes that need one, so validation cannot answer before ownership does.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/studio/sessions/{session_id}/messages"): {"text": "remove the background"},
    ("POST", "/v1/admin/users/{user_id}/credits"): {"amount": 5, "note": "matrix"},
}


@dataclass(frozen=True)
class Allowed:
    status: int
    code: str | None
    reason: str


#: Routes whose answer to another user is not 404, and why.
EXCEPTIONS: dict[tuple[str, str], Allowed] = {
    ("GET", "/files/{artifact_id}"): Allowed(
        403,
        "invalid_signature",
        "download links are capabilities: no key is asked, a valid signature is; without "
        "one everybody gets 403, the owner too",
    ),
    ("GET", "/files/{artifact_id}/thumbnail"): Allowed(
        403, "invalid_signature", "a signed download link, like /files/{artifact_id}"
    ),
}
#: GET routes the owner also cannot read without more than the id (see EXCEPTIONS).
OWNER_SKIPS = {("GET", "/files/{artifact_id}"), ("GET", "/files/{artifact_id}/thumbnail")}


@dataclass(frozen=True)
class IdRoute:
    method: str
    path: str
    params: tuple[str, ...]
    needs_body: bool


def id_routes(app: FastAPI) -> list[IdRoute]:
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = context.path
        if "{" not in path:
            continue
        params = tuple(p.strip("{}").split(":")[0] for p in path.split("/") if p.startswith("{"))
        if isinstance(route, APIWebSocketRoute):
            found.append(IdRoute("WS", path, params, False))
            continue
        assert isinstance(route, Route), f"unexpected route type at {path}: {route!r}"
        body = isinstance(route, APIRoute) and route.body_field is not None
        needs_body = bool(body and route.body_field and route.body_field.field_info.is_required())
        for method in sorted((context.methods or set()) - {"HEAD"}):
            found.append(IdRoute(method, path, params, needs_body))
    return found


def resource_for(path: str, param: str) -> str:
    matches = [
        (prefix, name)
        for (prefix, p), name in RESOURCE_FOR.items()
        if p == param and path.startswith(prefix)
    ]
    assert matches, (
        f"{path}: no resource for {{{param}}}; add the owner's resource to RESOURCE_FOR "
        "(and make it in owner_resources) so its ownership is tested"
    )
    return max(matches, key=lambda m: len(m[0]))[1]


async def create(client: httpx.AsyncClient, path: str, user: User, **kwargs: Any) -> Any:
    headers = {**user.headers, **kwargs.pop("headers", {})}
    response = await client.post(path, headers=headers, **kwargs)
    assert response.status_code in (200, 201), (path, response.text)
    return response.json()


async def insert_rows(runtime: Runtime, table: Any, row: dict[str, Any]) -> None:
    statement = insert(table).values(**row)
    await runtime.db.write(lambda conn: conn.execute(statement))


async def owner_resources(
    runtime: Runtime, client: httpx.AsyncClient, owner: User
) -> dict[str, str]:
    """One of each kind of resource, owned by ``owner``."""
    files = {"file": ("photo.jpg", product_photo(), "image/jpeg")}
    upload = await create(client, "/v1/uploads", owner, files=files)
    job = await create(
        client,
        "/v1/jobs",
        owner,
        json={"kind": "remove_background", "input": {"upload_id": upload["id"]}},
        headers={"Prefer": "wait=30"},
    )
    assert job["status"] == "succeeded", job
    key = await create(client, "/v1/me/keys", owner, json={"name": "matrix"})
    session = await create(client, "/v1/studio/sessions", owner, json={"title": "matrix"})
    turn = await create(
        client,
        f"/v1/studio/sessions/{session['id']}/messages",
        owner,
        json={"text": "hello there"},
    )
    message_id = (turn.get("user_message") or turn.get("message") or turn)["id"]
    batch = await create(
        client,
        "/v1/batches",
        owner,
        json={"items": [{"kind": "test_flaky", "params": {"fail_times": 0}}]},
    )
    now = utcnow()
    ids = {
        "user": owner.id,
        "api_key": key["id"],
        "job": job["id"],
        "output": job["outputs"][0]["id"],
        "studio_session": session["id"],
        "studio_message": message_id,
        "batch": batch["id"],
        "template": f"wmt_{uuid.uuid4().hex[:20]}",
        "localize_job": f"job_{uuid.uuid4().hex[:20]}",
        "delivery": f"whd_{uuid.uuid4().hex[:20]}",
        "purchase": f"cs_test_{uuid.uuid4().hex}",
    }
    template = builtin_rows()[0] | {"id": ids["template"], "owner_id": owner.id, "name": "mine"}
    await insert_rows(runtime, WatermarkTemplate.__table__, template)
    await insert_rows(
        runtime,
        Job.__table__,
        {
            "id": ids["localize_job"],
            "owner_id": owner.id,
            "kind": "localize",
            "status": "failed",
            "inputs": [],
            "params": {},
            "result": {},
            "cost": 0,
            "progress": 0,
            "stage": "failed",
            "attempts": 1,
            "max_attempts": 1,
            "event_seq": 0,
            "priority": 0,
            "created_at": now,
        },
    )
    await insert_rows(
        runtime,
        WebhookDelivery.__table__,
        {
            "id": ids["delivery"],
            "owner_id": owner.id,
            "job_id": job["id"],
            "event_type": "job.succeeded",
            "payload": {"type": "job.succeeded"},
            "url": "https://hooks.example.com/pictor",
            "status": "failed",
            "attempts": 1,
            "attempt_log": [],
            "created_at": now,
            "updated_at": now,
        },
    )
    await insert_rows(
        runtime,
        CheckoutSession.__table__,
        {
            "id": f"chk_{uuid.uuid4().hex[:20]}",
            "user_id": owner.id,
            "pack": "starter",
            "credits": 100,
            "amount": 900,
            "currency": "usd",
            "status": "pending",
            "stripe_session_id": ids["purchase"],
            "refunded_amount": 0,
            "credits_refund_due": 0,
            "credits_refunded": 0,
            "created_at": now,
            "updated_at": now,
        },
    )
    return ids


def expected_for(route: IdRoute) -> tuple[int, str | None]:
    exception = EXCEPTIONS.get((route.method, route.path))
    if exception is not None:
        return exception.status, exception.code
    if route.path.startswith("/v1/admin/"):
        return 403, "forbidden"
    return 404, None


async def call(
    client: httpx.AsyncClient, route: IdRoute, url: str, headers: dict[str, str]
) -> httpx.Response:
    body = BODIES.get((route.method, route.path))
    assert body is not None or not route.needs_body, (
        f"{route.method} {route.path} needs a body: add a valid one to BODIES, or the "
        "other user would get 422 before ownership is checked"
    )
    return await client.request(route.method, url, json=body, headers=headers)


def fill(path: str, params: tuple[str, ...], ids: dict[str, str]) -> str:
    for param in params:
        path = path.replace(f"{{{param}}}", ids[resource_for(path, param)])
    return path


async def test_every_id_route_is_404_for_another_user(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, user: User, other_user: User
) -> None:
    routes = id_routes(app)
    # Fail on a route without a resource before making any.
    for route in routes:
        for param in route.params:
            resource_for(route.path, param)
    ids = await owner_resources(runtime, client, user)

    wrong: list[str] = []
    for route in routes:
        url = fill(route.path, route.params, ids)
        if route.method == "WS":
            code = await websocket_close_code(app, url, other_user.headers)
            if code != 4404:
                wrong.append(f"WS {route.path}: closed with {code}, not 4404")
            continue
        status, code = expected_for(route)
        response = await call(client, route, url, other_user.headers)
        got_code = _error_code(response)
        if response.status_code != status or (code is not None and got_code != code):
            wrong.append(
                f"{route.method} {route.path}: {response.status_code} {got_code}, "
                f"not {status} {code or ''}"
            )
    assert not wrong, "another user reached the owner's resources:\n" + "\n".join(wrong)

    # The owner reaches every one of them, unchanged by the other user's attempts.
    for route in routes:
        if route.method not in ("GET", "WS") or (route.method, route.path) in OWNER_SKIPS:
            continue
        url = fill(route.path, route.params, ids)
        if route.method == "WS":
            assert await websocket_close_code(app, url, user.headers) == 1000, url
            continue
        if route.path.startswith("/v1/admin/"):
            continue  # the owner is no admin either; admins are tested in tests/accounts
        status = await response_status(app, url, user.headers)
        assert status != 404 and status < 500, (route.path, status)


async def test_admin_routes_are_not_forbidden_to_admins(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, user: User
) -> None:
    from tests.conftest import new_user

    admin = await new_user(runtime, "admin")
    for route in id_routes(app):
        if not route.path.startswith("/v1/admin/") or route.method != "GET":
            continue
        url = fill(route.path, route.params, {"user": user.id})
        response = await client.get(url, headers=admin.headers)
        assert response.status_code == 200, (route.path, response.text)


async def test_list_routes_never_show_another_users_resources(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, user: User, other_user: User
) -> None:
    ids = await owner_resources(runtime, client, user)
    secrets = {v for k, v in ids.items() if k != "user"}
    for context in iter_route_contexts(app.routes):
        path = context.path
        if "{" in path or not path.startswith("/v1/") or path.startswith("/v1/admin/"):
            continue
        if "GET" not in (context.methods or set()):
            continue
        # A stream without an end would hang here: fail instead.
        response = await asyncio.wait_for(client.get(path, headers=other_user.headers), 60)
        leaked = [s for s in secrets if s in response.text]
        assert not leaked, (path, leaked)


def _error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except json.JSONDecodeError:
        return None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = body["error"].get("code")
        return str(code) if code is not None else None
    return None


def test_the_matrix_names_no_route_that_is_gone(app: FastAPI) -> None:
    present = {(r.method, r.path) for r in id_routes(app)}
    stale = [key for key in [*BODIES, *EXCEPTIONS] if key not in present]
    assert not stale, f"entries for routes that no longer exist: {stale}"
    routes = id_routes(app)
    unused = [
        (prefix, param)
        for prefix, param in RESOURCE_FOR
        if not any(r.path.startswith(prefix) and param in r.params for r in routes)
    ]
    assert not unused, f"resources for routes that no longer exist: {unused}"
