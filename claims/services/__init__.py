"""The only code that writes claims: enter (adjudicate and pay), void, adjust, attach,
payment runs and their ACH files. Money moves only through ``vesting.ledger`` (R-FU3).

How a claim is entered (:func:`claim_enter`), in one database transaction:

1. the input is checked (:func:`claim_validate`, every field at once) and the family's
   tier on the date of service read from the coverage timeline (R-CL4);
2. the family's :class:`~claims.models.FamilyYear` row is locked (``SELECT ... FOR
   UPDATE``): two clerks saving claims for one family at the same moment are processed
   one after the other, so the trust fund can never pay more than the deductible;
3. the duplicate guard runs under that lock; then ``claims.rules.split_claim`` splits
   the allowed amount with what the family's deductible has already absorbed (R-CL1,
   R-CL3);
4. the trust-fund share is paid through ``vesting.ledger.post_claim_payment`` (General
   Deductible Trust Fund to the provider's payee account), carrying the policyholder and
   the date of service (the vesting rollover reads both); the carrier's share is
   recorded as forwarded to the carrier (``forwarded_at``: the carrier pays from its own
   money, so nothing moves in the plan's ledger);
5. a run-out payment for a year that has ended goes through the R-CL6 hook
   (:func:`runout_hook`).

Every posting is dated by its business date (``claims.services.dates``): a payment by
the claim's date paid (the payment run's date, default today), a void's or adjustment's
reversals and payments by the correction's own date; none falls in a month the
employer's ledger has closed.

Decisions (the issue is silent; chosen as a plan administrator would):

- Decision: no separate "pay" step. A claim is adjudicated and paid in the same atomic
  call: the clerk enters what the administrator already allowed, and a claim sitting
  "entered but unpaid" would hold the family's deductible in an undefined state. The
  county's checks are cut later from payment runs (:func:`payment_run_create`).
- Decision: the family is the policyholder (R-CL1). After an R-EL11 marriage, a claim
  entered for the spouse whose own policy ended (the employee a
  :class:`~accounts.models.Dependent` record points to with ``spouse_employee``) goes to
  the retained policyholder's family from the day that dependent record starts, with
  that record as the patient.
- Decision: a dependent who was not on the policy on the date of service (before
  ``covered_from`` or after ``ended_on``) makes the claim denied, like a day without
  coverage (R-CL4); a patient who was never in the family is bad input (400).
- Decision: the duplicate guard warns on the same administrator's claim number (any
  claim, voided ones included: the number identifies the claim) or on the same family,
  provider (ignoring case and spacing), date of service and allowed amount (claims not
  voided: re-entering a voided claim is how it is corrected). A confirmed duplicate
  records ``duplicate_of``; without it the number is unique (a database constraint).
- Decision: a void or adjustment that lowers a claim's trust-fund share reverses the
  claim's live payments (``post_reversal``) and pays the new amount again
  (``post_claim_payment``); one that raises it pays the difference. So every ledger
  transaction of a claim is a claim payment or the reversal of one, each carrying the
  policyholder and the date of service.
- Decision: the claim's tier is the one adjudicated at entry; a later change of the
  coverage timeline does not re-adjudicate old claims (void and re-enter them).
- Decision: the plan year of the date of service must be set up (its deductible and the
  carrier's maximum are plan-year data); otherwise the date is refused with a message
  for the administrator.
- Decision: the R-CL6 hook is called only for payments made after the policy year ended
  (a year cannot be vested before it ends); a void or downward adjustment of a run-out
  claim does not give the vested amount back (left to the vesting side).
- Decision: the entry path is a handful of hand-written SQL statements (the family and
  its tier in one query, the lock with the next claim id, the duplicate check, then the
  claim, its ledger entry, its audit events and the family's new totals in one
  statement) around the ledger's ``post_claim_payment``: a clerk's save and every
  keystroke's preview must answer in milliseconds over a million claims, and the ORM's
  own cost was most of it. Voids and adjustments, which are rare, use the ORM.
"""

from claims.services.ach import payment_run_ach
from claims.services.adjustments import claim_adjust, claim_void
from claims.services.attachments import (
    ATTACHMENT_MAX_BYTES,
    ATTACHMENT_TYPES,
    attachment_type,
    claim_attachment_add,
)
from claims.services.batch import (
    BatchClaim,
    BatchClaimError,
    claims_enter_many,
    independent_groups,
)
from claims.services.checking import (
    NOT_ON_POLICY,
    adjudicate,
    claim_preview,
    claim_validate,
    family_status,
    find_duplicates,
    parse_amount,
)
from claims.services.dates import correction_date, entry_dates, received_error
from claims.services.entry import claim_enter, runout_hook, split_words
from claims.services.payment_runs import payment_run_create, payment_run_mark_issued
from claims.services.values import (
    ClaimDraft,
    ClaimPreview,
    DuplicateClaimError,
    DuplicateMatch,
    FamilyDeductible,
)

__all__ = [
    "ATTACHMENT_MAX_BYTES",
    "ATTACHMENT_TYPES",
    "NOT_ON_POLICY",
    "BatchClaim",
    "BatchClaimError",
    "ClaimDraft",
    "ClaimPreview",
    "DuplicateClaimError",
    "DuplicateMatch",
    "FamilyDeductible",
    "adjudicate",
    "attachment_type",
    "claim_adjust",
    "claim_attachment_add",
    "claim_enter",
    "claim_preview",
    "claim_validate",
    "claim_void",
    "claims_enter_many",
    "correction_date",
    "entry_dates",
    "family_status",
    "find_duplicates",
    "independent_groups",
    "parse_amount",
    "payment_run_ach",
    "payment_run_create",
    "payment_run_mark_issued",
    "received_error",
    "runout_hook",
    "split_words",
]
