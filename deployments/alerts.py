"""Alerts as code: the module's Prefect Automations, applied idempotently to a Prefect server.

`make run` applies them once its Prefect server is up; `amazon-payments alerts apply` applies them
to the server of PREFECT_API_URL. Each automation is found by its name and updated in place, so
applying twice changes nothing; one whose name starts with `amazon-payments:` but is no longer
defined here is deleted.

- `amazon-payments: run failed`: a flow run of one of the module's deployments (by the names in
  prefect.yaml) enters a state of type FAILED or CRASHED. The trigger takes every
  `prefect.flow-run.*` event and filters on the `prefect.state-type` label, because named
  states emit events by their name (`Failed(name="Declined")` -> `prefect.flow-run.Declined`).
- `amazon-payments: authorization overdue`: an `amazon-payments.document.authorization_overdue`
  event.
- `amazon-payments: settlement rejected`: a run of `reconcile-settlements` or
  `backfill-settlements` enters the state named `Rejected` (or an
  `amazon-payments.settlement.rejected` event related to such a run).
- `amazon-payments: open item too old`: a document entered a status in which it needs a person
  or waits (authorization overdue, activation requested, capture pending, capture declined,
  re-authorization) and no settling status (accepted, failed, activated, refunded, partially
  refunded, cancelled) followed within the configured age: a proactive trigger, per document.

Each sends through the Custom Webhook notification block `amazon-payments-alerts`, whose URL is
AMAZON_PAYMENTS_ALERT_WEBHOOK_URL (POSTed as JSON `{"subject", "body", "name"}`); e-mail or Slack
blocks work the same way (point the automations' action at them in the UI). Without the URL the
automations still exist, with no action, and show on the UI's Automations page.
AMAZON_PAYMENTS_ALERT_OPEN_ITEM_AGE_SECONDS sets the age (default one day, at least 10 s).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast
from uuid import UUID

from prefect.automations import (
    AutomationCore,
    DoNothing,
    EventTrigger,
    Posture,
    SendNotification,
)
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.client.orchestration import get_client

from deployments.serve import read_deployments

PREFIX = "amazon-payments: "
BLOCK_NAME = "amazon-payments-alerts"
WEBHOOK_VARIABLE = "AMAZON_PAYMENTS_ALERT_WEBHOOK_URL"
AGE_VARIABLE = "AMAZON_PAYMENTS_ALERT_OPEN_ITEM_AGE_SECONDS"
DEFAULT_OPEN_ITEM_AGE = timedelta(days=1)
MIN_OPEN_ITEM_SECONDS = 10
SETTLEMENT_DEPLOYMENTS = ("reconcile-settlements", "backfill-settlements")
DOCUMENT_EVENT = "amazon-payments.document."
# Statuses in which a document needs a person or waits for Amazon, and those that settle it.
OPEN_STATUSES = (
    "authorization_overdue",
    "activation_requested",
    "capture_pending",
    "capture_declined",
    "reauthorization",
)
CLOSING_STATUSES = (
    "accepted",
    "failed",
    "activated",
    "partially_refunded",
    "refunded",
    "cancelled",
)


@dataclass(frozen=True)
class Alert:
    """One automation: its name (without the prefix), what it says, and its trigger."""

    name: str
    description: str
    trigger: EventTrigger
    body: str


def _module_runs(deployments: Sequence[str]) -> dict[str, Any]:
    return {"prefect.resource.role": "deployment", "prefect.resource.name": list(deployments)}


def definitions(deployments: Sequence[str], open_item_age: timedelta) -> list[Alert]:
    """The module's alerts for the deployments of its prefect.yaml."""
    run = (
        "{{ deployment.name }} run {{ event.resource.name }} ended "
        "{{ event.resource['prefect.state-name'] }}"
    )
    message = "{{ event.resource['prefect.state-message'] }}"
    document = "{{ event.resource['prefect.resource.id'] }}"
    return [
        Alert(
            "run failed",
            "A run of one of the module's deployments ended FAILED or CRASHED.",
            EventTrigger(
                expect={"prefect.flow-run.*"},
                match={"prefect.state-type": ["FAILED", "CRASHED"]},
                match_related=_module_runs(deployments),
                posture=Posture.Reactive,
                threshold=1,
            ),
            f"{run} ({{{{ event.resource['prefect.state-type'] }}}}): {message}",
        ),
        Alert(
            "authorization overdue",
            "Amazon did not answer an authorization within the authorization timeout.",
            EventTrigger(
                expect={f"{DOCUMENT_EVENT}authorization_overdue"},
                match={"prefect.resource.id": f"{DOCUMENT_EVENT}*"},
                posture=Posture.Reactive,
                threshold=1,
            ),
            f"{document}: authorization overdue {{{{ event.payload }}}}",
        ),
        Alert(
            "settlement rejected",
            "A settlement report failed the quality check; nothing of it was posted.",
            EventTrigger(
                expect={"prefect.flow-run.Rejected", "amazon-payments.settlement.rejected"},
                match_related=_module_runs(SETTLEMENT_DEPLOYMENTS),
                posture=Posture.Reactive,
                threshold=1,
            ),
            f"{run}: {message}",
        ),
        Alert(
            "open item too old",
            f"A document has needed a person or waited for Amazon for more than {open_item_age}.",
            EventTrigger(
                after={f"{DOCUMENT_EVENT}{status}" for status in OPEN_STATUSES},
                expect={f"{DOCUMENT_EVENT}{status}" for status in CLOSING_STATUSES},
                match={"prefect.resource.id": f"{DOCUMENT_EVENT}*"},
                for_each={"prefect.resource.id"},
                posture=Posture.Proactive,
                threshold=1,
                within=open_item_age,
            ),
            "{{ labels['prefect.resource.id'] }} is still open after "
            f"{open_item_age} (see the open-items artifact)",
        ),
    ]


def open_item_age() -> timedelta:
    """How old an open item gets before it alerts (AMAZON_PAYMENTS_ALERT_OPEN_ITEM_AGE_SECONDS)."""
    raw = os.environ.get(AGE_VARIABLE)
    if not raw:
        return DEFAULT_OPEN_ITEM_AGE
    try:
        seconds = float(raw)
    except ValueError:
        raise ValueError(f"{AGE_VARIABLE} must be a number of seconds, got {raw!r}") from None
    if seconds < MIN_OPEN_ITEM_SECONDS:
        raise ValueError(
            f"{AGE_VARIABLE} must be at least {MIN_OPEN_ITEM_SECONDS} seconds "
            f"(Prefect's shortest proactive window), got {raw!r}"
        )
    return timedelta(seconds=seconds)


def notification_block(webhook_url: str | None) -> UUID | None:
    """Save (or update) the Custom Webhook block for a URL; None without a URL."""
    if not webhook_url:
        return None
    block = CustomWebhookNotificationBlock.model_validate(
        {
            "name": BLOCK_NAME,
            "url": webhook_url,
            "json_data": {"subject": "{{subject}}", "body": "{{body}}", "name": "{{name}}"},
        }
    )
    return cast(UUID, block.save(BLOCK_NAME, overwrite=True))  # sync here: the id, no coroutine


def automation_of(alert: Alert, block_id: UUID | None) -> AutomationCore:
    """The automation of one alert, sending through the block when there is one."""
    subject = f"{PREFIX}{alert.name}"
    action: SendNotification | DoNothing = (
        SendNotification(block_document_id=block_id, subject=subject, body=alert.body)
        if block_id is not None
        else DoNothing()
    )
    return AutomationCore(
        name=subject,
        description=alert.description,
        enabled=True,
        trigger=alert.trigger,
        actions=[action],
    )


def apply(webhook_url: str | None = None, age: timedelta | None = None) -> list[tuple[str, str]]:
    """Create or update every alert on the server of PREFECT_API_URL; (name, created|updated)."""
    url = webhook_url if webhook_url is not None else os.environ.get(WEBHOOK_VARIABLE)
    names = [str(item["name"]) for item in read_deployments()]
    block_id = notification_block(url)
    wanted = [
        automation_of(alert, block_id) for alert in definitions(names, age or open_item_age())
    ]
    done: list[tuple[str, str]] = []
    with get_client(sync_client=True) as client:
        existing: dict[str, list[UUID]] = {}
        for found in client.read_automations():
            if found.name.startswith(PREFIX):
                existing.setdefault(found.name, []).append(found.id)
        for automation in wanted:
            ids = existing.pop(automation.name, [])
            if ids:
                client.update_automation(ids[0], automation)
                for duplicate in ids[1:]:
                    client.delete_automation(duplicate)
                done.append((automation.name, "updated"))
            else:
                client.create_automation(automation)
                done.append((automation.name, "created"))
        for stale in existing.values():
            for automation_id in stale:
                client.delete_automation(automation_id)
    return done
