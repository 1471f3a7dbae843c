"""The credit engine: indicators and classes, the sandbox, triggers, the alert loop,
double-random inspections and reminders — rules from ``policies/``, facts from the graph.

The functions the API calls (sync, taking a ``neo4j.Driver`` and a database name):

* :func:`hub.credit.queries.credit_of` — class, score, colour, explanation, history
* :func:`hub.credit.sandbox.sandbox_stats`
* :func:`hub.credit.queries.alerts_for_party`, :func:`hub.credit.queries.pending_notifications`,
  :func:`hub.credit.queries.mark_delivered`
* :func:`hub.credit.workflow.advance_alert`, :func:`hub.credit.workflow.record_rectification`,
  :func:`hub.credit.workflow.record_platform_action`, :func:`hub.credit.workflow.run_escalations`
* :func:`hub.credit.engine.rescore`, :func:`hub.credit.engine.make_ingest_hook`
* :func:`hub.credit.inspections.plan_inspections`, :func:`hub.credit.reminders.reminders_for`
* :func:`hub.credit.clock.now`, :func:`hub.credit.clock.set_clock`

Explanations and alert evidence hold references to facts; the API and the push channels
render them per reader (async, one query per batch) with
:func:`hub.credit.explain_render.render_many` / :func:`~hub.credit.explain_render.render_pending`.
"""
