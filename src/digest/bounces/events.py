"""Provider event files -> bounce and complaint events. Pure: text in, events out.

``digest bounces --events FILE`` reads what a sending service reports, in its own shape:

- **Amazon SES**: an SNS notification (``{"Type": "Notification", "Message": "<JSON>"}``)
  or the notification itself (``notificationType`` or, from event publishing,
  ``eventType``: ``Bounce``, ``Complaint``, ``Delivery``). ``bounceType`` Permanent is a
  hard bounce (unless the diagnostic shows a sender-side block or ``bounceSubType`` is
  MessageTooLarge, ContentRejected or AttachmentRejected), Transient is soft,
  Undetermined unknown.
- **SendGrid** event webhook: a JSON array of events; ``bounce`` (``type`` ``bounce`` hard,
  ``blocked`` block), ``dropped`` for a bounced or spam-reporting address, ``spamreport``.
- **Postmark** bounce and spam-complaint webhooks: ``RecordType`` ``Bounce`` with ``Type``
  (HardBounce, SoftBounce, Transient, Blocked, SpamNotification, AutoResponder ...) or
  ``SpamComplaint``.
- **Mailgun** webhooks (``{"signature": ..., "event-data": {...}}``) and the events API
  (``{"items": [...]}``): ``failed`` with ``severity`` permanent (hard, or block when
  ``reason`` is ``espblock``) or temporary (soft), and ``complained``.

A file holds one JSON document (an object or an array of them) or JSON lines. Events of
other types (deliveries, opens, clicks) are read and ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from digest.bounces.reasons import Kind, judge
from digest.errors import InputError


@dataclass(frozen=True)
class Event:
    """One recipient's bounce, complaint or delivery, from a mailbox or a provider."""

    address: str
    kind: Kind
    reason: str
    when: datetime | None
    ref: str  # what makes it the same event when read again: Message-ID, event id ...
    source: str = ""


def parse_events(text: str, where: str) -> list[Event]:
    """Every event in a provider's file; InputError naming ``where`` for a bad one."""
    documents = _documents(text, where)
    events: list[Event] = []
    for number, item in enumerate(_items(documents), 1):
        if not isinstance(item, dict):
            raise InputError(where, f"event {number} is not a JSON object")
        try:
            events += _event(item)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(
                where, f"event {number}: not a known provider's shape ({exc})"
            ) from exc
    return events


def _documents(text: str, where: str) -> list[Any]:
    try:
        return [json.loads(text)]
    except ValueError:
        pass
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                found.append(json.loads(line))
            except ValueError as exc:
                raise InputError(f"{where}:{number}", f"not JSON ({exc})") from exc
    return found


def _items(documents: list[Any]) -> Iterator[Any]:
    for document in documents:
        if isinstance(document, list):
            yield from document
        elif isinstance(document, dict) and isinstance(document.get("items"), list):
            yield from document["items"]  # Mailgun's events API
        else:
            yield document


def _event(item: dict[str, Any]) -> list[Event]:
    if item.get("Type") in ("Notification", "SubscriptionConfirmation"):  # SNS envelope
        if item["Type"] != "Notification":
            return []
        return _ses(json.loads(item["Message"]))
    if "notificationType" in item or "eventType" in item:
        return _ses(item)
    if "event-data" in item or ("event" in item and "recipient" in item):
        return _mailgun(item.get("event-data", item))
    if "RecordType" in item:
        return _postmark(item)
    if "event" in item and "email" in item:
        return _sendgrid(item)
    raise ValueError("no notificationType, eventType, event-data, RecordType or event")


def is_ses_notification(text: str) -> bool:
    """Whether ``text`` is an SES notification (as SES mails them to an address)."""
    return '"notificationType"' in text or '"eventType"' in text


# Amazon SES

_SES_BLOCK = {"MessageTooLarge", "ContentRejected", "AttachmentRejected"}


def _ses(note: dict[str, Any]) -> list[Event]:
    kind_name = note.get("notificationType") or note.get("eventType")
    mail = note.get("mail", {})
    ref = str(mail.get("messageId", ""))
    if kind_name == "Bounce":
        bounce = note["bounce"]
        when = _time(bounce.get("timestamp"))
        ref = str(bounce.get("feedbackId") or ref)
        kind_of = bounce.get("bounceType")
        sub = str(bounce.get("bounceSubType", ""))
        events = []
        for r in bounce["bouncedRecipients"]:
            words = str(r.get("diagnosticCode", ""))
            if kind_of == "Permanent":
                kind, reason = Kind.HARD, f"SES permanent ({sub})"
                if sub in _SES_BLOCK:
                    kind = Kind.BLOCK
                elif words:
                    judged, name = judge(words, str(r.get("status", "")))
                    if judged in (Kind.BLOCK, Kind.SOFT):
                        kind, reason = judged, name
            elif kind_of == "Transient":
                kind = Kind.BLOCK if sub in _SES_BLOCK else Kind.SOFT
                reason = f"SES transient ({sub})"
            else:
                kind, reason = Kind.UNKNOWN, f"SES {kind_of} ({sub})"
            events.append(Event(r["emailAddress"].lower(), kind, reason, when, ref, "ses"))
        return events
    if kind_name == "Complaint":
        complaint = note["complaint"]
        when = _time(complaint.get("timestamp"))
        ref = str(complaint.get("feedbackId") or ref)
        feedback = complaint.get("complaintFeedbackType", "abuse")
        return [
            Event(
                r["emailAddress"].lower(),
                Kind.COMPLAINT,
                f"complaint ({feedback})",
                when,
                ref,
                "ses",
            )
            for r in complaint["complainedRecipients"]
        ]
    if kind_name == "Delivery":
        delivery = note["delivery"]
        when = _time(delivery.get("timestamp"))
        return [
            Event(a.lower(), Kind.NOT_BOUNCE, "delivered", when, ref, "ses")
            for a in delivery.get("recipients", [])
        ]
    return []


# SendGrid

_SENDGRID_CLASSES = {
    "invalid address": Kind.HARD,
    "mailbox unavailable": Kind.SOFT,
    "reputation": Kind.BLOCK,
    "content": Kind.BLOCK,
    "frequency or volume too high": Kind.SOFT,
    "technical": Kind.SOFT,
}


def _sendgrid(item: dict[str, Any]) -> list[Event]:
    event = item["event"]
    address = str(item["email"]).lower()
    when = _time(item.get("timestamp"))
    ref = str(
        item.get("sg_event_id") or item.get("sg_message_id") or f"{address}@{item.get('timestamp')}"
    )
    reason = str(item.get("reason", ""))
    if event == "spamreport":
        return [
            Event(
                address, Kind.COMPLAINT, "complaint (SendGrid spam report)", when, ref, "sendgrid"
            )
        ]
    if event == "bounce":
        classified = _SENDGRID_CLASSES.get(str(item.get("bounce_classification", "")).lower())
        if item.get("type") == "blocked":
            kind = Kind.BLOCK
        elif classified is not None:
            kind = classified
        else:
            judged, _ = judge(reason, str(item.get("status", "")))
            kind = judged if judged in (Kind.BLOCK, Kind.SOFT) else Kind.HARD
        return [
            Event(
                address,
                kind,
                f"SendGrid {item.get('type', 'bounce')}: {reason}"[:200],
                when,
                ref,
                "sendgrid",
            )
        ]
    if event == "dropped":
        if "bounce" in reason.lower():
            return [Event(address, Kind.HARD, f"SendGrid dropped: {reason}", when, ref, "sendgrid")]
        if "spam" in reason.lower():
            return [
                Event(address, Kind.COMPLAINT, f"SendGrid dropped: {reason}", when, ref, "sendgrid")
            ]
        return []
    if event == "delivered":
        return [Event(address, Kind.NOT_BOUNCE, "delivered", when, ref, "sendgrid")]
    return []


# Postmark

_POSTMARK = {
    "HardBounce": Kind.HARD,
    "BadEmailAddress": Kind.HARD,
    "ManuallyDeactivated": Kind.HARD,
    "AddressChange": Kind.HARD,
    "SoftBounce": Kind.SOFT,
    "Transient": Kind.SOFT,
    "DnsError": Kind.SOFT,
    "SpamComplaint": Kind.COMPLAINT,
    "Blocked": Kind.BLOCK,
    "SpamNotification": Kind.BLOCK,
    "VirusNotification": Kind.BLOCK,
    "DMARCPolicy": Kind.BLOCK,
    "SMTPApiError": Kind.BLOCK,
    "TemplateRenderingFailed": Kind.BLOCK,
    "AutoResponder": Kind.AUTO_REPLY,
    "ChallengeVerification": Kind.AUTO_REPLY,
    "OpenRelayTest": Kind.NOT_BOUNCE,
    "Subscribe": Kind.NOT_BOUNCE,
    "Unsubscribe": Kind.NOT_BOUNCE,
    "InboundError": Kind.NOT_BOUNCE,
    "Unknown": Kind.UNKNOWN,
}


def _postmark(item: dict[str, Any]) -> list[Event]:
    record = item["RecordType"]
    if record not in ("Bounce", "SpamComplaint"):
        return []
    kind = _POSTMARK.get(str(item.get("Type", record)), Kind.UNKNOWN)
    when = _time(item.get("BouncedAt"))
    ref = f"postmark:{item.get('ID', item.get('MessageID', ''))}"
    reason = f"Postmark {item.get('Type', record)}: {item.get('Description', '')}".strip(": ")
    return [Event(str(item["Email"]).lower(), kind, reason[:200], when, ref, "postmark")]


# Mailgun


def _mailgun(data: dict[str, Any]) -> list[Event]:
    event = data["event"]
    address = str(data["recipient"]).lower()
    when = _time(data.get("timestamp"))
    ref = f"mailgun:{data.get('id', '')}:{address}"
    status = data.get("delivery-status", {}) or {}
    words = " ".join(str(status.get(k, "")) for k in ("code", "message", "description"))
    if event == "complained":
        return [Event(address, Kind.COMPLAINT, "complaint (Mailgun)", when, ref, "mailgun")]
    if event == "delivered":
        return [Event(address, Kind.NOT_BOUNCE, "delivered", when, ref, "mailgun")]
    if event != "failed":
        return []
    reason = str(data.get("reason", ""))
    if data.get("severity") == "temporary":
        kind = Kind.SOFT
    elif reason == "espblock":
        kind = Kind.BLOCK
    else:
        judged, _ = judge(words) if words.strip() else (Kind.HARD, "")
        kind = judged if judged in (Kind.BLOCK, Kind.SOFT) else Kind.HARD
    text = f"Mailgun {data.get('severity', '')} {reason}: {words.strip()}"
    return [Event(address, kind, text[:200], when, ref, "mailgun")]


def _time(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    text = str(value).replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
