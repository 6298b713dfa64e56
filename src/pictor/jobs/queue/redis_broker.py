"""Celery task messages pushed straight onto a Redis broker from the event loop.

``Celery.send_task`` is synchronous: the API node ran it in a thread, which costs a
thread hop per job, fights the event loop for the GIL and goes through kombu's
per-publish machinery (a client object per publish, the retry wrapper). On a Redis
broker a publish to a queue is one ``LPUSH`` of a JSON envelope onto the queue's list
(kombu's virtual transport, default exchange), so this module sends that envelope with
redis-py's asyncio client over pooled connections instead. The message itself (headers,
body) is still built by Celery (:meth:`celery.app.amqp.AMQP.create_task_message`), so a
``pictor worker`` consumes it as any message ``send_task`` writes (the tests compare the
two and run jobs through real workers).

Only a plain ``redis://`` broker whose transport options change nothing in how a message
is published takes this path (:func:`publisher_for`); anything else (RabbitMQ, TLS,
custom priority steps or key separators) keeps ``send_task``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

#: kombu Redis transport options that only matter to consumers (or not at all to a
#: publish of priority 0 on the default exchange).
_CONSUMER_ONLY = frozenset(
    {
        "visibility_timeout",
        "unacked_restore_interval",
        "unacked_restore_throttle",
        "unacked_restore_limit",
        "unacked_mutex_expire",
        "polling_interval",
        "queue_order_strategy",
        "fanout_prefix",
        "fanout_patterns",
        "health_check_interval",
        "max_connections",
    }
)
_PUBLISHING = frozenset({"global_keyprefix", "socket_timeout", "socket_connect_timeout"})


def publisher_for(url: str, transport_options: Mapping[str, Any]) -> RedisBrokerPublisher | None:
    """A publisher for this broker, or None when kombu must publish (not plain Redis,
    or a transport option this module does not reproduce)."""
    if not url.startswith("redis://") or ";" in url:
        return None
    if not set(transport_options) <= _CONSUMER_ONLY | _PUBLISHING:
        return None
    return RedisBrokerPublisher(
        url,
        key_prefix=str(transport_options.get("global_keyprefix", "")),
        timeout_s=float(transport_options.get("socket_timeout", 5.0)),
        connect_timeout_s=float(transport_options.get("socket_connect_timeout", 5.0)),
    )


def envelope(headers: dict[str, Any], properties: dict[str, Any], body: Any, queue: str) -> str:
    """The JSON kombu's Redis transport pushes for a message published to ``queue`` on
    the default exchange (``Producer.publish`` + ``Channel.basic_publish``): the body
    serialized as JSON then base64, delivery mode persistent, priority 0."""
    payload = json.dumps(body).encode()
    message = {
        "body": base64.b64encode(payload).decode(),
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": headers,
        "properties": {
            **properties,
            "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": queue},
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": str(uuid.uuid4()),
        },
    }
    return json.dumps(message)


class RedisBrokerPublisher:
    """``LPUSH`` of ready messages onto a Redis broker's queue lists (pooled
    connections of the running event loop; one retry on a fresh connection when a
    pooled one turns out dead, e.g. after a Redis restart)."""

    def __init__(
        self,
        url: str,
        *,
        key_prefix: str = "",
        timeout_s: float = 5.0,
        connect_timeout_s: float = 5.0,
    ) -> None:
        self.url = url
        self.key_prefix = key_prefix
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self._client: Redis | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _client_here(self) -> Redis:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            # A client belongs to one event loop (tests may run a runtime on several).
            self._client = Redis.from_url(
                self.url,
                socket_timeout=self.timeout_s,
                socket_connect_timeout=self.connect_timeout_s,
                retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
            )
            self._loop = loop
        return self._client

    async def push(self, queue: str, message: str) -> None:
        """Put one message on ``queue`` (raises when Redis cannot be reached)."""
        await self._client_here().lpush(self.key_prefix + queue, message)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._loop is asyncio.get_running_loop():
            await client.aclose()
