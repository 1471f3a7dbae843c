"""The GraphQL schema served at ``/graphql``."""

from __future__ import annotations

import strawberry

from hub import __version__


@strawberry.type(description="Read-only entry points.")
class Query:
    @strawberry.field(description="The hub's version.")
    def version(self) -> str:
        return __version__


schema = strawberry.Schema(query=Query)
