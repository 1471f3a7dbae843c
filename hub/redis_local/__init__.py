"""Provisioning a local Redis (Debian's ``redis-server``) for development and tests."""

from hub.redis_local.server import LocalRedis, RedisState

__all__ = ["LocalRedis", "RedisState"]
