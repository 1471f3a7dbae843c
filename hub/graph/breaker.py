"""Bounded waits on the database, and a circuit breaker that answers at once while it is down.

Every call the API makes goes through one :class:`Guard`: it is refused at once while the
breaker is open, bounded by an asyncio deadline (``HUB_DB_TIMEOUT``) otherwise, and its
outcome moves the breaker:

* **closed** — calls go through; a call that times out or cannot reach the server opens it;
* **open** — calls fail at once with :class:`DatabaseDown` (the API answers 503 +
  ``Retry-After``) until ``cooldown`` seconds have passed;
* **half-open** — one call (the probe) goes through; success closes the breaker, failure
  opens it again. Other calls keep failing fast while the probe is out.

So a frozen server costs each in-flight request at most the timeout and later requests
nothing, and recovery needs no restart. A query the server answers with an error (a
constraint, a syntax error) proves it alive: that closes the breaker.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import neo4j

T = TypeVar("T")
_DOWN = (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired, OSError)


class DatabaseDown(neo4j.exceptions.ServiceUnavailable):
    """The database did not answer in time, or is known to be down (breaker open)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)  # type: ignore[no-untyped-call]


class CircuitBreaker:
    def __init__(self, cooldown: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.cooldown = cooldown
        self._clock = clock
        self._opened_at: float | None = None  # None: closed
        self._probing = False
        self._lock = threading.Lock()  # the engine's sync driver calls from threads

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    def allow(self) -> bool:
        """May a call go through now? (Taking the half-open probe if it is due.)"""
        with self._lock:
            if self._opened_at is None:
                return True
            if self._probing or self._clock() - self._opened_at < self.cooldown:
                return False
            self._probing = True
            return True

    def succeeded(self) -> None:
        with self._lock:
            self._opened_at = None
            self._probing = False

    def failed(self) -> None:
        with self._lock:
            self._opened_at = self._clock()
            self._probing = False

    def abandoned(self) -> None:
        """A call ended without a verdict (cancelled, or a bug): free the probe slot."""
        with self._lock:
            self._probing = False


class Guard:
    """One deadline and one breaker for every database call of the API."""

    def __init__(self, timeout: float, breaker: CircuitBreaker) -> None:
        self.timeout = timeout
        self.breaker = breaker

    def admit(self) -> None:
        if not self.breaker.allow():
            raise DatabaseDown("The database is unavailable (circuit open).")

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        self.admit()
        try:
            async with asyncio.timeout(self.timeout):
                result = await call()
        except TimeoutError as exc:  # before OSError, its base class
            self.breaker.failed()
            raise DatabaseDown(f"The database did not answer within {self.timeout:g} s.") \
                from exc
        except BaseException as exc:
            self._judge(exc)
            raise
        self.breaker.succeeded()
        return result

    def run_sync(self, call: Callable[[], T]) -> T:
        """The same for the engine's sync driver (in a thread: no deadline of our own;
        the awaiting request is bounded by its caller)."""
        self.admit()
        try:
            result = call()
        except BaseException as exc:
            self._judge(exc)
            raise
        self.breaker.succeeded()
        return result

    def _judge(self, exc: BaseException) -> None:
        if isinstance(exc, _DOWN):
            self.breaker.failed()
        elif isinstance(exc, neo4j.exceptions.Neo4jError):
            self.breaker.succeeded()  # it answered
            if "TransactionTimedOut" in (exc.code or ""):
                raise DatabaseDown("The database did not answer in time.") from exc
        else:
            self.breaker.abandoned()  # cancelled, or not the database's doing
