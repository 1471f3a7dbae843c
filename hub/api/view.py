"""GraphQL over HTTP: authentication, error mapping, status codes, production hardening.

* a present but invalid token is refused before execution (401, RFC 6750 header);
* data fields without a token answer ``UNAUTHENTICATED`` with HTTP 401;
* ``RATE_LIMITED`` → 429 + ``Retry-After``; database down → ``UNAVAILABLE``, 503 +
  ``Retry-After``; a missing scope → 403 ``insufficient_scope``;
* errors that are not the caller's to act on are masked (no stack trace, Cypher or host),
  logged server-side with the traceback;
* production: no GET, no IDE, no introspection, no suggestions; only JSON POST bodies.
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from typing import Any

import neo4j
import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from hub.api.context import Context
from hub.api.operation_label import operation_label, set_operation_label
from hub.api.persisted import Manifest, PersistedError
from hub.audit import AuditEntry
from hub.audit.request import http_hash
from hub.auth import BearerTokenError, authenticate, bearer_error_response
from hub.errors import (
    REQUEST_STATUSES,
    BadRequest,
    HubError,
    Internal,
    Unavailable,
    ValidationFailed,
    status_of,
)
from hub.settings import Settings

log = logging.getLogger("hub.api")
_UNAVAILABLE = (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired,
                ConnectionError, TimeoutError)
GRAPHQL_RESPONSE = "application/graphql-response+json"


def classify(error: GraphQLError) -> tuple[str, str, dict[str, Any]]:
    """(code, message, extensions) for one error, read from its :class:`HubError`;
    5xx errors and anything that is not a HubError are masked (logged server-side)."""
    original = error.original_error
    if isinstance(original, HubError):
        if not original.internal:
            return original.code, original.message, dict(original.extensions)
        log.error("%s: %s", original.code, original.message)
        return original.code, original.public_message, {}
    if isinstance(original, _UNAVAILABLE) or (
            isinstance(original, neo4j.exceptions.Neo4jError) and original.is_retryable()):
        return Unavailable.code, Unavailable.public_message, {}
    if original is None:
        return ValidationFailed.code, error.message, {}
    log.error("internal error", exc_info=original)
    return Internal.code, Internal.public_message, {}


def request_status(codes: list[str]) -> int | None:
    """The HTTP status of an executed GraphQL response: that of the first error about the
    whole request (401, 429, 503); field errors leave it at 200."""
    return next((s for s in map(status_of, codes) if s in REQUEST_STATUSES), None)


# The persisted document the endpoint resolved for this request (see hub.api.persisted).
_PERSISTED: ContextVar[str | None] = ContextVar("persisted_document", default=None)


class HubGraphQL(GraphQL[Context, None]):
    def __init__(self, schema: Any, settings: Settings) -> None:
        super().__init__(schema, graphql_ide=None if settings.production else "graphiql",
                         allow_queries_via_get=not settings.production,
                         multipart_uploads_enabled=False)
        self.settings = settings

    async def process_result(self, request: Request,
                             result: ExecutionResult) -> GraphQLHTTPResponse:
        body: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            errors = []
            codes = []
            for error in result.errors:
                code, message, extensions = classify(error)
                codes.append(code)
                entry: dict[str, Any] = {"message": message, "extensions":
                                         {**extensions, "code": code}}
                if error.path:
                    entry["path"] = error.path
                if error.locations:
                    entry["locations"] = [{"line": loc.line, "column": loc.column}
                                          for loc in error.locations]
                errors.append(entry)
            body["errors"] = errors  # type: ignore[typeddict-item]
            request.state.error_codes = codes
        return body

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def execute_operation(self, request: Any, request_adapter: Any, request_data: Any,
                                context: Any, root_value: Any, sub_response: Any) -> Any:
        # One operation per request, never streamed: subscriptions are WebSocket-only.
        if isinstance(request_data, list):  # pragma: no cover - batching is off
            raise BadRequest("Batching is not supported.")
        return await self.execute_single(request, request_adapter, sub_response, context,
                                         root_value, request_data)

    async def execute_single(self, request: Any, request_adapter: Any, sub_response: Any,
                             context: Any, root_value: Any, request_data: Any
                             ) -> ExecutionResult:
        # The operation's type is the selected operation's, from the parsed document
        # (strawberry raises before executing when it is not allowed here).
        allowed = ({OperationType.QUERY} if request_adapter.method == "GET"
                   else {OperationType.QUERY, OperationType.MUTATION})
        try:
            return await self.schema.execute(
                request_data.query, root_value=root_value,
                variable_values=request_data.variables, context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions)
        except InvalidOperationTypeError as exc:
            if exc.operation_type == OperationType.SUBSCRIPTION:
                raise BadRequest("Subscriptions are served over WebSocket "
                                 "(graphql-transport-ws) at /graphql, not over HTTP."
                                 ) from None
            raise BadRequest(exc.as_http_error_reason(request_adapter.method)) from None
        except CannotGetOperationTypeError as exc:
            raise BadRequest(exc.as_http_error_reason()) from None
        except MissingQueryError:
            raise BadRequest("No GraphQL query found in the request") from None

    async def parse_http_body(self, request: Any) -> Any:
        data = await super().parse_http_body(request)
        text = _PERSISTED.get()
        if text is not None and isinstance(data, GraphQLRequestData):
            data.query = text
        return data


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """A refusal before execution, shaped like a GraphQL error."""
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]},
                        status_code=status, headers=headers)


def unavailable() -> JSONResponse:
    return error_response(Unavailable.http_status, Unavailable.code,
                          Unavailable.public_message, {"Retry-After": "5"})


def make_endpoint(view: HubGraphQL, settings: Settings) -> Any:
    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        if settings.production and request.method == "POST":
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/json":
                return error_response(415, BadRequest.code,
                                      "POST bodies must be application/json")
        state = request.app.state.hub
        services = request.app.state.services
        body = await request.body()
        digest = http_hash(body, request.query_params)  # canonical: docs/audit.md
        principal = None
        if request.headers.get("authorization"):
            try:
                principal = await authenticate(request)
            except BearerTokenError as exc:
                await services.audit.append(AuditEntry(
                    party="", client="", purpose="", operation="authenticate",
                    query_hash=digest, outcome="denied", reason=exc.error or "no token"))
                return bearer_error_response(exc)
            except _UNAVAILABLE:
                return unavailable()
        persisted_only = principal is not None and services.policies.persisted_only(
            principal.party_type, principal.party_id)
        text = None
        if persisted_only or b'"documentId"' in body or b'"persistedQuery"' in body:
            try:
                documents: Manifest = request.app.state.persisted
                text = documents.resolve(orjson.loads(body), persisted_only=persisted_only)
            except orjson.JSONDecodeError:
                return error_response(400, BadRequest.code, "The body is not valid JSON.")
            except PersistedError as exc:
                return error_response(exc.http_status, exc.code, exc.message)
        _PERSISTED.set(text)
        set_operation_label("invalid")  # until a document passes validation
        if text is not None:  # a persisted id: hash the document it stands for
            digest = http_hash(body, request.query_params, text)
        ctx = Context(state=state, services=services, principal=principal, query_hash=digest)
        request.state.error_codes = []
        try:
            response = await view.run(request, context=ctx)
        except BadRequest as exc:  # ours, from the overrides above
            return error_response(exc.http_status, exc.code, exc.message)
        except HTTPException as exc:  # strawberry's own HTTP-layer refusals
            return error_response(exc.status_code, BadRequest.code, exc.reason)
        codes: list[str] = request.state.error_codes
        status = request_status(codes)
        if status == 503:
            response.headers["Retry-After"] = "5"
        elif status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="credit-hub"'
        if ctx.scope_denied and not status:
            status = 403
            response.headers["WWW-Authenticate"] = (
                'Bearer realm="credit-hub", error="insufficient_scope"')
        if status:
            response.status_code = status
        for key, value in ctx.response_headers.items():
            response.headers[key] = value
        if GRAPHQL_RESPONSE in request.headers.get("accept", ""):
            response.headers["content-type"] = GRAPHQL_RESPONSE
        request.app.state.metrics.observe(operation_label(), response.status_code,
                                          time.perf_counter() - started, codes)
        return response

    return endpoint
