"""Attachments of a claim: the administrator's explanation of benefits or the bill."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from claims.models import (
    Claim,
    ClaimAttachment,
    ClaimEvent,
)
from claims.services.checking import acting_user

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = (  # (first bytes, content type): PDF, PNG, JPEG only
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def attachment_type(head: bytes) -> str | None:
    """The content type from the file's first bytes (PDF, PNG, JPEG), else None."""
    for signature, content_type in ATTACHMENT_TYPES:
        if head.startswith(signature):
            return content_type
    return None


@transaction.atomic
def claim_attachment_add(*, claim: Claim, file: Any, uploaded_by: Any = None) -> ClaimAttachment:
    """Attach the administrator's explanation of benefits or the bill to a claim.

    Only PDF, PNG and JPEG (decided from the file's first bytes, not its name), up to
    10 MB."""
    if file is None:
        raise ValidationError({"file": "Choose a PDF, PNG or JPEG file."})
    size = getattr(file, "size", None) or 0
    if size > ATTACHMENT_MAX_BYTES:
        raise ValidationError({"file": "The file is larger than 10 MB."})
    if size == 0:
        raise ValidationError({"file": "The file is empty."})
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    content_type = attachment_type(head)
    if content_type is None:
        raise ValidationError(
            {"file": "Only PDF, PNG and JPEG files can be attached (this file is neither)."}
        )
    user = acting_user(uploaded_by)
    name = Path(str(getattr(file, "name", "") or "attachment")).name[:200]
    attachment = ClaimAttachment(
        claim=claim, content_type=content_type, original_name=name, size=size, uploaded_by=user
    )
    attachment.file.save(name, file, save=False)
    attachment.save()
    ClaimEvent.objects.create(
        claim=claim,
        action=ClaimEvent.Action.ATTACHMENT,
        message=f"Attached {name} ({content_type}, {size:,} bytes).",
        user=user,
    )
    return attachment
