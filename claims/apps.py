from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims"

    def ready(self) -> None:
        """``manage.py ledger_check`` also recomputes the claims list's totals: vesting may
        not import claims (imports point down), so it sends
        ``vesting.signals.integrity_check`` and this app answers with its problems."""
        from vesting.signals import integrity_check

        integrity_check.connect(_integrity_check, dispatch_uid="claims.claim_totals_check")


def _integrity_check(sender, **kwargs) -> list[str]:
    from claims.selectors import claim_totals_check

    return claim_totals_check()
