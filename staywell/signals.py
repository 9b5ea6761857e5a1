"""Receivers of the sign-in signals."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from staywell.middleware import LAST_SEEN


@receiver(user_logged_in)
def note_sign_in_time(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A new session starts its idle clock at sign-in (``SignInMiddleware``)."""
    session = getattr(request, "session", None)
    if session is not None:
        session[LAST_SEEN] = int(time.time())
