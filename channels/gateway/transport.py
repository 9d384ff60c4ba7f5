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

import aiohttp

from bot.core.channel import DeliveryError
from bot.core.delivery_errors import Failure, Kind
from bot.core.retrying import RetryPolicy, with_retries
from channels.gateway.protocol import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, sign
from channels.gateway.settings import GatewaySettings

MAX_RETRY_AFTER = 60.0


class Answered(Exception):
    """The gateway answered, but not with 2xx."""

    def __init__(self, status: int, text: str, retry_after: str | None) -> None:
        super().__init__(f"the gateway answered {status}: {text[:200]}")
        self.status = status
        self.retry_after = retry_after


def classify(error: BaseException) -> Failure:
    """A failed POST in the shared terms."""
    match error:
        case Answered(status=429):
            return Failure(Kind.RATE_LIMITED, str(error), retry_after=_seconds(error.retry_after))
        case Answered(status=401):
            return Failure(Kind.REJECTED, f"{error} (check gateway.secret on both sides)")
        case Answered(status=status) if status < 400:
            # a redirect is not followed: the signed POST would arrive as something else
            return Failure(Kind.REJECTED, f"{error} (set gateway.outbound_url to the address it redirects to)")
        case Answered(status=status) if status == 408 or status >= 500:
            return Failure(Kind.TRANSIENT, str(error))
        case Answered():
            return Failure(Kind.GONE, str(error))
        case TimeoutError():
            return Failure(Kind.UNKNOWN, "no answer from the gateway in time")
        case aiohttp.ClientConnectorError():
            return Failure(Kind.TRANSIENT, f"the gateway cannot be reached: {error}")
        case aiohttp.ClientError():
            return Failure(Kind.UNKNOWN, f"the connection to the gateway failed: {error!r}")
    return Failure(Kind.UNKNOWN, f"{type(error).__name__}: {error}")


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
        # Every POST carries its idempotency key, so an unknown outcome may be tried again.
        self.policy = RetryPolicy(attempts=settings.send_attempts, backoff_seconds=settings.retry_backoff_seconds,
                                  max_retry_after_seconds=MAX_RETRY_AFTER, retry_unknown=True)

    async def once(self, key: str, body: bytes) -> DeliveryError | None:
        """One POST; the failure (or ``None``) as ``classify`` sees it. A time-out is ``unknown``:
        the gateway may have the reply, and only its idempotency key makes a repeat safe."""
        try:
            await self._post(key, body)
        except Exception as error:
            return classify(error).as_error()
        return None

    async def _post(self, key: str, body: bytes) -> None:
        headers = {"Content-Type": "application/json; charset=utf-8",
                   SIGNATURE_HEADER: sign(self._secret, body), IDEMPOTENCY_HEADER: key}
        timeout = aiohttp.ClientTimeout(total=self.settings.request_timeout_seconds)
        async with self.session.post(self.settings.outbound_url, data=body, headers=headers,
                                     timeout=timeout, allow_redirects=False) as response:
            text = await response.text(errors="replace")
            if not 200 <= response.status < 300:
                raise Answered(response.status, text, response.headers.get("Retry-After"))

    async def send(self, key: str, body: bytes) -> None:
        """POST with bounded retries; raises the last failure as ``DeliveryError``."""
        await with_retries(lambda: self._post(key, body), classify, self.policy, what=f"шлюз: ответ {key}")
