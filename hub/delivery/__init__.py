"""Delivering alert notifications (the ``:Notification`` outbox) to the parties they concern.

Two channels drain the same outbox: GraphQL subscriptions (:mod:`hub.api.subscriptions`)
for systems that hold a socket, and signed webhooks (:mod:`hub.delivery.webhooks`,
:mod:`hub.delivery.worker`) for systems that cannot. Both claim notifications with a
short lease (:mod:`hub.delivery.outbox`) so one notification is delivered by one channel
at a time, and mark it delivered only after it was sent (at-least-once).
"""
