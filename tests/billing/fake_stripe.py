"""A fake of Stripe's API on loopback, speaking its wire protocol to the official SDK.

- ``POST /v1/checkout/sessions``: form-encoded with Stripe's nested keys
  (``line_items[0][price_data][unit_amount]=900``), ``Authorization: Bearer sk_test_...``,
  ``Idempotency-Key`` honoured (same key and params: the same session, with
  ``Idempotent-Replayed: true``; same key, other params: an ``idempotency_error``),
  Stripe-shaped objects and errors (``{"error": {"type", "code", "param", "message"}}``).
- ``GET /v1/checkout/sessions/{id}``.
- What Stripe does outside the API — the buyer paying, a refund from the dashboard,
  events and their ``Stripe-Signature`` — are methods tests call (:meth:`pay`,
  :meth:`refund`, :meth:`event`, :func:`signed`), the signature made by the SDK's own
  helper.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import stripe
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

API_KEY = "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc"
WEBHOOK_SECRET = "whsec_" + "test0fake0stripe0secret"
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def decode_form(body: bytes) -> dict[str, Any]:
    """Stripe's form encoding back to nested dicts and lists (``a[0][b]=1``)."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        match = _KEY.match(key)
        if match is None:
            raise ValueError(f"bad key {key!r}")
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {k: _lists(v) for k, v in node.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def stripe_error(
    status: int, message: str, *, type_: str = "invalid_request_error", **extra: str
) -> JSONResponse:
    body = {"error": {"type": type_, "message": message, **extra}}
    return JSONResponse(body, status_code=status, headers={"Request-Id": _id("req")})


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


class BadParam(Exception):
    def __init__(self, param: str, message: str, code: str = "parameter_invalid") -> None:
        super().__init__(message)
        self.param, self.message, self.code = param, message, code


@dataclass
class Recorded:
    headers: dict[str, str]
    params: dict[str, Any]


@dataclass
class FakeStripe:
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    #: Idempotency-Key -> (hash of the params, the session id answered).
    idempotency: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Answers to send instead of the real one, in order (status, error type).
    failures: list[tuple[int, str]] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/checkout/sessions", self._create, methods=["POST"]),
                Route("/v1/checkout/sessions/{id}", self._retrieve, methods=["GET"]),
            ]
        )

    def reset(self) -> None:
        self.sessions.clear()
        self.charges.clear()
        self.requests.clear()
        self.idempotency.clear()
        self.failures.clear()

    # -- the API ----------------------------------------------------------------------

    def _authorized(self, request: Request) -> JSONResponse | None:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return stripe_error(401, "You did not provide an API key.")
        if auth[7:] != API_KEY:
            key = auth[7:]
            return stripe_error(401, f"Invalid API Key provided: {key[:8]}****{key[-4:]}")
        return None

    async def _create(self, request: Request) -> JSONResponse:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        body = await request.body()
        if request.headers.get("content-type") != "application/x-www-form-urlencoded":
            return stripe_error(400, "Invalid request: expected a form-encoded body")
        params = decode_form(body)
        self.requests.append(Recorded(dict(request.headers), params))
        if self.failures:
            status, kind = self.failures.pop(0)
            return stripe_error(status, "An error occurred with our connection.", type_=kind)
        key = request.headers.get("idempotency-key")
        digest = hashlib.sha256(body).hexdigest()
        if key and key in self.idempotency:
            first_digest, session_id = self.idempotency[key]
            if first_digest != digest:
                return stripe_error(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters"
                    f" they were first used with. Try using a key other than '{key}' if you"
                    " meant to execute a different request.",
                    type_="idempotency_error",
                )
            return JSONResponse(self.sessions[session_id], headers={"Idempotent-Replayed": "true"})
        try:
            session = self._new_session(params)
        except BadParam as exc:
            return stripe_error(400, exc.message, code=exc.code, param=exc.param)
        self.sessions[session["id"]] = session
        if key:
            self.idempotency[key] = (digest, session["id"])
        return JSONResponse(session, headers={"Request-Id": _id("req")})

    async def _retrieve(self, request: Request) -> JSONResponse:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        session = self.sessions.get(request.path_params["id"])
        if session is None:
            return stripe_error(
                404,
                f"No such checkout.session: '{request.path_params['id']}'",
                code="resource_missing",
                param="session",
            )
        return JSONResponse(session)

    def _new_session(self, params: dict[str, Any]) -> dict[str, Any]:
        mode = params.get("mode")
        if mode is None:
            raise BadParam("mode", "Missing required param: mode.", "parameter_missing")
        if mode not in ("payment", "setup", "subscription"):
            raise BadParam("mode", "Invalid mode: must be one of payment, setup or subscription")
        if not params.get("success_url"):
            raise BadParam(
                "success_url", "Missing required param: success_url.", "parameter_missing"
            )
        items = params.get("line_items")
        if not isinstance(items, list) or not items:
            raise BadParam("line_items", "Missing required param: line_items.", "parameter_missing")
        total, currency = 0, None
        for i, item in enumerate(items):
            total_i, currency = _line_total(i, item)
            total += total_i
        session_id = "cs_test_" + secrets.token_urlsafe(42).replace("-", "a").replace("_", "b")
        now = int(time.time())
        return {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": now,
            "currency": currency,
            "customer": None,
            "expires_at": now + 24 * 3600,
            "livemode": False,
            "metadata": params.get("metadata", {}),
            "mode": mode,
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params["success_url"],
            "url": f"https://checkout.stripe.com/c/pay/{session_id}#fidkdWxOYHwnPyd1blpxYHZxWjA0",
        }

    # -- what happens outside the API ---------------------------------------------------

    def pay(self, session_id: str, *, delayed: bool = False) -> dict[str, Any]:
        """The buyer completes the page; ``delayed``: a method that settles later."""
        session = self.sessions[session_id]
        payment_intent = _id("pi")
        charge = {
            "id": _id("ch"),
            "object": "charge",
            "amount": session["amount_total"],
            "amount_refunded": 0,
            "currency": session["currency"],
            "payment_intent": payment_intent,
            "refunded": False,
            "status": "pending" if delayed else "succeeded",
        }
        self.charges[charge["id"]] = charge
        session.update(
            status="complete",
            payment_status="unpaid" if delayed else "paid",
            payment_intent=payment_intent,
        )
        return dict(session)

    def settle(self, session_id: str) -> dict[str, Any]:
        """The delayed payment of a session succeeds."""
        session = self.sessions[session_id]
        session["payment_status"] = "paid"
        self.charge_of(session_id)["status"] = "succeeded"
        return dict(session)

    def charge_of(self, session_id: str) -> dict[str, Any]:
        payment_intent = self.sessions[session_id]["payment_intent"]
        return next(c for c in self.charges.values() if c["payment_intent"] == payment_intent)

    def refund(self, session_id: str, amount: int | None = None) -> dict[str, Any]:
        """Refund ``amount`` (default: what is left) of the session's charge."""
        charge = self.charge_of(session_id)
        left = charge["amount"] - charge["amount_refunded"]
        charge["amount_refunded"] += left if amount is None else min(amount, left)
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        return dict(charge)

    @staticmethod
    def event(type_: str, obj: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
        return {
            "id": event_id or _id("evt"),
            "object": "event",
            "api_version": stripe.api_version,
            "created": int(time.time()),
            "data": {"object": obj},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type_,
        }


def _line_total(i: int, item: dict[str, Any]) -> tuple[int, str]:
    prefix = f"line_items[{i}]"
    if "quantity" not in item:
        raise BadParam(f"{prefix}[quantity]", f"Missing required param: {prefix}[quantity].")
    data = item.get("price_data")
    if not isinstance(data, dict):
        raise BadParam(f"{prefix}[price]", f"Missing required param: {prefix}[price].")
    currency = data.get("currency", "")
    if not re.fullmatch(r"[a-z]{3}", currency):
        raise BadParam(f"{prefix}[price_data][currency]", f"Invalid currency: {currency}.")
    amount = data.get("unit_amount", "")
    if not amount.isdigit():
        raise BadParam(f"{prefix}[price_data][unit_amount]", "Invalid integer: " + amount)
    if not (data.get("product_data") or {}).get("name"):
        raise BadParam(
            f"{prefix}[price_data][product_data][name]",
            f"Missing required param: {prefix}[price_data][product_data][name].",
        )
    return int(amount) * int(item["quantity"]), currency


def signed(
    event: dict[str, Any], secret: str = WEBHOOK_SECRET, *, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body Stripe would POST and its headers, signed with the SDK's own helper."""
    payload = json.dumps(event, indent=2)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)
    return payload.encode(), {"Stripe-Signature": header, "Content-Type": "application/json"}
