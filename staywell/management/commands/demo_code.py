"""``manage.py demo_code [USERNAME]``: the code the demo's authenticator shows now.

Only for users whose app is the demo's (``seed_demo`` gives it to the demo's staff
users, with the published secret ``staywell.signin.DEMO_TOTP_SECRET``): a real user's
secret is never read out.
"""

from __future__ import annotations

import base64
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from staywell.signin import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo user (the demo's shared secret)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username", nargs="?", default="clerk")

    def handle(self, *args: Any, **options: Any) -> None:
        demo_key = base64.b32decode(DEMO_TOTP_SECRET)
        device = TOTPDevice.objects.filter(
            user__username=options["username"], confirmed=True
        ).first()
        if device is None or device.bin_key != demo_key:
            raise CommandError(f"{options['username']} has no demo authenticator.")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        self.stdout.write(f"{code:0{device.digits}d}")
