"""Loading the three rules files together, once per process (fail fast at start-up)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from hub.credit.policy import CreditPolicy
from hub.credit.rules import load
from hub.credit.trigger_policy import ReminderPolicy, TriggerPolicy
from hub.settings import get_settings


@dataclass(frozen=True)
class Policies:
    credit: CreditPolicy
    triggers: TriggerPolicy
    reminders: ReminderPolicy


def read_policies(directory: Path | None = None) -> Policies:
    """Read and validate credit.yaml, triggers.yaml and reminders.yaml from ``directory``
    (default: the settings' ``policies_dir``)."""
    directory = directory or get_settings().policies_dir
    return Policies(credit=load(directory / "credit.yaml", CreditPolicy),
                    triggers=load(directory / "triggers.yaml", TriggerPolicy),
                    reminders=load(directory / "reminders.yaml", ReminderPolicy))


@lru_cache(maxsize=4)
def load_policies(directory: Path | None = None) -> Policies:
    """The process-wide rules (cached; call at start-up so errors surface early)."""
    return read_policies(directory)
