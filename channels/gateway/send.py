"""POSTing replies to the gateway, and its answers in the core's terms.

One answer means the same thing for a reply and for a broadcast (``classify``): 2xx delivered;
429 wait (``Retry-After`` seconds) and try again; 5xx, a time-out or a lost connection try
again; 410 (the resident blocked the bot or left) and any other 4xx are final, since repeating
a request the gateway refused cannot make it accept it. The exceptions are 401 (the gateway
does not accept our signature: the operator's key is wrong, not the resident's fault) and a
redirect (a wrong ``outbound_url``): neither is permanent, so the resident is not marked
unreachable for the operator's mistake.

Every POST carries the reply's idempotency key, so a try repeated after a time-out (when the
first may have arrived) is recognised by the gateway and not shown twice: that is why replies
are retried after time-outs here, unlike on platforms without such a key. Pauses are
``asyncio.sleep``, so one resident's retries never hold up the others.
"""
from __future__ import annotations

import asyncio
import logging

import aiohttp

from bot.channel import DeliveryError
from bot.config import GatewaySettings
from channels.gateway.protocol import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, sign

log = logging.getLogger(__name__)

MAX_RETRY_AFTER = 60.0


def classify(status: int, text: str, retry_after: str | None) -> DeliveryError | None:
    if 200 <= status < 300:
        return None
    detail = f"the gateway answered {status}: {text[:200]}"
    if status == 429:
        return DeliveryError(detail, retry_after=_seconds(retry_after))
    if status == 401:
        return DeliveryError(detail + " (check gateway.secret on both sides)")
    if status < 400:  # a redirect is not followed: the signed POST would arrive as something else
        return DeliveryError(detail + " (set gateway.outbound_url to the address it redirects to)")
    if status in (408,) or status >= 500:
        return DeliveryError(detail)
    return DeliveryError(detail, permanent=True)


def _seconds(value: str | None) -> float:
    try:
        return min(max(float(value or 1), 0.0), 3600.0)
    except ValueError:
        return 1.0


class Poster:
    def __init__(self, session: aiohttp.ClientSession, settings: GatewaySettings) -> None:
        self.session = session
        self.settings = settings
        assert settings.secret is not None
        self._secret = settings.secret.get_secret_value()

    async def once(self, key: str, body: bytes) -> DeliveryError | None:
        """One POST; the failure (or ``None``) as ``classify`` sees it. A time-out is ``unknown``:
        the gateway may have the reply, and only its idempotency key makes a repeat safe."""
        return (await self._post(key, body))[0]

    async def _post(self, key: str, body: bytes) -> tuple[DeliveryError | None, bool]:
        """The outcome, and whether trying again may help (429, 5xx, time-outs, connections)."""
        headers = {"Content-Type": "application/json; charset=utf-8",
                   SIGNATURE_HEADER: sign(self._secret, body), IDEMPOTENCY_HEADER: key}
        timeout = aiohttp.ClientTimeout(total=self.settings.request_timeout_seconds)
        try:
            async with self.session.post(self.settings.outbound_url, data=body, headers=headers,
                                         timeout=timeout, allow_redirects=False) as response:
                text = await response.text(errors="replace")
                error = classify(response.status, text, response.headers.get("Retry-After"))
                return error, response.status in (408, 429) or response.status >= 500
        except TimeoutError:
            return DeliveryError(f"no answer from the gateway within {timeout.total} s", unknown=True), True
        except aiohttp.ClientConnectorError as error:
            return DeliveryError(f"the gateway cannot be reached: {error}"), True
        except aiohttp.ClientError as error:
            return DeliveryError(f"the connection to the gateway failed: {error!r}", unknown=True), True

    async def send(self, key: str, body: bytes) -> None:
        """POST with bounded retries; raises the last failure as ``DeliveryError``."""
        attempts = self.settings.send_attempts
        for attempt in range(1, attempts + 1):
            error, retryable = await self._post(key, body)
            if error is None:
                return
            if not retryable or attempt == attempts:
                raise error
            if error.retry_after is not None:
                if error.retry_after > MAX_RETRY_AFTER:
                    raise error
                pause = error.retry_after
            else:
                pause = self.settings.retry_backoff_seconds * 2 ** (attempt - 1)
            log.info("шлюз: ответ %s не отправлен (%s; попытка %d из %d); снова через %.1f с",
                     key, error, attempt, attempts, pause)
            await asyncio.sleep(pause)
        raise AssertionError("send_attempts is at least 1")
