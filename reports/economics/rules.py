"""Plan economics as pure functions (section 8): the figures of each year since inception,
the ten-year projection of four options side by side, and the deductible's sensitivity.

No ORM and no clock: the history is read once by ``reports.economics.selectors`` and
passed in as plain values; every amount is ``Decimal`` rounded half-up to the cent
(``staywell.money``, R-PY2) line by line, so each figure can be worked by hand.

Results since inception (one :class:`ResultYear` per policy year, R-PY1):

- Decision (as the dashboard's "savings against full coverage"): full (first-dollar)
  coverage costs what the employer budgets for the FULL tier, the carrier's major-medical
  premium plus the trust-fund contribution for every FULL-tier employee-month (Mendocino:
  $203,000 = $123,000 to the carrier + $80,000 kept at home). The plan costs the same
  premiums plus the trust-fund claims it paid and its administrative costs, less the
  interest earned. Savings = full coverage - plan cost = contributions - claims - costs +
  interest: the unspent allotments (which vest to the employees) and the net interest.
  What the employer keeps is the savings less what vested to the employees.
- Decision: "sheltered from premium inflation" (an estimate, not a ledger figure): had
  the whole first-year budget been premium, the trust-fund part would have risen with the
  carrier's premium; the estimate is the year's FULL-tier months times (first year's
  trust-fund rate x this year's premium / first year's premium - this year's rate).

The projection (:func:`project`), year t = 1..``years`` after the base year (the last
completed policy year), per FULL-tier family N_t = round(employees x (1 + growth)^t x
FULL-tier share), with every family's allowed claims of the base history grown by the
claims trend, G_t = (1 + trend)^t:

- Decision (pricing from the history): a carrier's premium is one-fifth fixed (its own
  costs and the catastrophic risk that a group's few years of claims cannot show) and
  four-fifths the claims it expects to pay above the deductible, with the same loading
  whatever the deductible. So the premium for a deductible D is the base premium times
  (1/5 + 4/5 x E[(X - D)+] / E[(X - D_base)+]) over the history's families' yearly
  allowed claims X (no claim above D_base in the history: the base premium). The
  high-deductible plan's premium is priced the same way.
- Decision: full coverage's monthly premium starts at the base year's carrier premium plus
  the trust-fund line (the Mendocino equivalence: both cost the same the first year) and
  rises with the carrier's premium inflation, all of it (so the sheltering shows).
- Decision: premiums change once a year at renewal: each year's monthly rate is the year
  before's times (1 + inflation), rounded to the cent. Dental (its own inflation) is the
  same under every option and is in every option's premiums.
- Stay-Well: premiums, trust-fund claims N x E[min(X G, D)], vested to side accounts
  N x E[min(D - min(X G, D), M)] (R-VE2), administrative costs N x cost per family, less
  interest at the rate on the money held: the vested liability at the start of the year
  less half the year's payouts plus half the year's contributions less claims (they come
  and go month by month). Payouts: the turnover rate of the liability at the start of
  the year (R-VE7: paid when they leave). Cost = premiums + claims + vested + costs -
  interest: the vested money is the employees', owed when they leave.
- Full coverage: premiums only. High-deductible plan: premiums plus the employer's HSA
  contribution per family (the employee's at once); the families pay E[max(min(X G, Dh) -
  HSA, 0)] themselves. State pool: the per-member premium (first projected year; its own
  inflation). Under these three the vested liability already built stays owed: it earns
  interest and is paid out at the same turnover, as under Stay-Well.

The sensitivity (:func:`sensitivity`): the projection of Stay-Well for deductibles $250 to
$2,000 by $250, the maximum vest moving with the deductible in the scenario's ratio (the
plan's rule: at most the deductible); the best deductible is the one whose ten years
leave the employer most (savings less what vested), the lower one on a tie.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from accounts.rules import policy_year_label
from staywell.money import ZERO, money

__all__ = [
    "ASSUMPTION_FIELDS",
    "OPTIONS",
    "OPTION_LABELS",
    "SENSITIVITY_DEDUCTIBLES",
    "Assumptions",
    "ClaimsDistribution",
    "History",
    "OptionYear",
    "Projection",
    "ProjectionYear",
    "ResultYear",
    "Results",
    "Sensitivity",
    "SensitivityPoint",
    "UtilizationYear",
    "assumption_errors",
    "average_growth",
    "default_assumptions",
    "percent_of",
    "project",
    "sensitivity",
    "sheltered",
]

HUNDRED = Decimal(100)
ONE = Decimal(1)
TWELVE = Decimal(12)
PERCENT_STEP = Decimal("0.1")

OPTIONS = ("stay_well", "full_coverage", "hdhp", "state_pool")
OPTION_LABELS = {
    "stay_well": "Stay-Well as configured",
    "full_coverage": "Full coverage",
    "hdhp": "High-deductible plan with HSA",
    "state_pool": "State pool",
}
SENSITIVITY_DEDUCTIBLES = tuple(Decimal(250 * step) for step in range(1, 9))  # $250..$2,000


def percent_of(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """``part`` as a percentage of ``whole``, to 0.1 (``None`` when ``whole`` is 0)."""
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(PERCENT_STEP, ROUND_HALF_UP)


def _whole(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


# =========================================================================================
# Results since inception
# =========================================================================================


def sheltered(
    months: int, first_premium: Decimal, first_rate: Decimal, premium: Decimal, rate: Decimal
) -> Decimal:
    """Section 8's sheltering, estimated (module Decision): ``months`` FULL-tier months
    times (first year's trust-fund ``first_rate`` x ``premium`` / ``first_premium`` -
    ``rate``), never below zero; zero without a first premium."""
    if not first_premium or not months:
        return ZERO
    per_month = first_rate * premium / first_premium - rate
    return max(ZERO, money(per_month * months))


@dataclass(frozen=True)
class ResultYear:
    """One policy year's results, every figure but the premiums and the estimate from the
    ledger (``reports.economics.selectors``). Amounts in dollars, positive."""

    policy_year: int  # R-PY1 start year
    complete: bool  # False: the year to date
    full_months: int  # FULL-tier employee-months: contributions / trust-fund rate
    carrier_premiums: Decimal  # months x the schedule's major-medical rate (not in the ledger)
    contributions: Decimal  # trust-fund contributions (the employer budget's side)
    claims: Decimal  # trust-fund claims paid in the year, net of reversals
    admin_costs: Decimal  # administrative costs (district account)
    interest: Decimal  # interest earned (district account)
    vested: Decimal  # unspent allotments moved to side accounts, less run-out recoveries
    to_district: Decimal  # unvested amounts moved to the district (R-VE4)
    payouts: Decimal  # lump sums, continuation premiums, beneficiary payments (R-VE6..R-VE10)
    vested_liability: Decimal  # the Vested Trust Fund at the year's end (or as of today)
    sheltered: Decimal = ZERO  # estimate (module Decision)
    trust_funds: Decimal = ZERO  # the General and Vested Trust Funds at the year's end
    families: int | None = None  # FULL-tier families all year (completed years)
    families_under: int | None = None  # of them, trust-fund claims below the deductible

    @property
    def label(self) -> str:
        """R-PY1: "1985-86"."""
        return policy_year_label(self.policy_year)

    @property
    def full_coverage_cost(self) -> Decimal:
        return self.carrier_premiums + self.contributions

    @property
    def plan_cost(self) -> Decimal:
        return self.carrier_premiums + self.claims + self.admin_costs - self.interest

    @property
    def savings(self) -> Decimal:
        return self.full_coverage_cost - self.plan_cost

    @property
    def kept(self) -> Decimal:
        """What the employer keeps: the savings less what vested to the employees."""
        return self.savings - self.vested

    @property
    def families_under_percent(self) -> Decimal | None:
        if self.families_under is None or self.families is None:
            return None
        return percent_of(self.families_under, self.families)


@dataclass(frozen=True)
class Results:
    """Results since inception: the years in order, with running totals."""

    years: tuple[ResultYear, ...]

    def total(self, name: str) -> Decimal:
        return sum((getattr(year, name) for year in self.years), ZERO)

    def cumulative(self, name: str) -> list[Decimal]:
        running, values = ZERO, []
        for year in self.years:
            running += getattr(year, name)
            values.append(running)
        return values

    @property
    def totals(self) -> dict[str, Decimal]:
        names = (
            "full_coverage_cost",
            "carrier_premiums",
            "contributions",
            "claims",
            "admin_costs",
            "interest",
            "plan_cost",
            "savings",
            "vested",
            "kept",
            "to_district",
            "payouts",
            "sheltered",
        )
        return {name: self.total(name) for name in names}

    @property
    def vested_liability(self) -> Decimal:
        return self.years[-1].vested_liability if self.years else ZERO


# =========================================================================================
# Utilization watch
# =========================================================================================


@dataclass(frozen=True)
class UtilizationYear:
    """How the FULL-tier families covered all year used their coverage (section 8: did
    they skip care to build a nest egg?), by date of service (R-PY1)."""

    policy_year: int
    complete: bool
    deductible: Decimal  # the plan year's (R-CL1)
    families: int  # FULL-tier families covered the whole year
    no_claims: int  # of them, no claim paid
    under: int  # claims below the deductible
    over: int  # claims at or over the deductible (the carrier paid the rest)
    claims: int  # claims paid (not denied or voided)
    preventive_claims: int  # of them, preventive care
    preventive_families: int  # families with at least one preventive claim
    categorized_claims: int  # claims paid in the year (all families) with a service category
    paid_claims: int = 0  # claims paid in the year (all families)

    def share(self, count: int) -> Decimal | None:
        return percent_of(count, self.families)

    @property
    def share_no_claims(self) -> Decimal | None:
        return self.share(self.no_claims)

    @property
    def share_under(self) -> Decimal | None:
        return self.share(self.under)

    @property
    def share_over(self) -> Decimal | None:
        return self.share(self.over)

    @property
    def label(self) -> str:
        """R-PY1: "1985-86"."""
        return policy_year_label(self.policy_year)

    @property
    def claims_per_family(self) -> Decimal | None:
        if not self.families:
            return None
        return (Decimal(self.claims) / self.families).quantize(Decimal("0.01"), ROUND_HALF_UP)

    @property
    def preventive_per_family(self) -> Decimal | None:
        if not self.families:
            return None
        value = Decimal(self.preventive_claims) / self.families
        return value.quantize(Decimal("0.01"), ROUND_HALF_UP)


# =========================================================================================
# The projection's inputs
# =========================================================================================


@dataclass(frozen=True)
class ClaimsDistribution:
    """Families' yearly allowed claims in the history: ``(amount, family-years)`` pairs
    (a family without a claim is an amount of 0.00)."""

    points: tuple[tuple[Decimal, int], ...]

    @property
    def family_years(self) -> int:
        return sum(count for _, count in self.points)

    def weighted(self, fn: Callable[[Decimal], Decimal], growth: Decimal = ONE) -> Decimal:
        """The sum of fn(X x growth) over the family-years, exact."""
        return sum((fn(amount * growth) * count for amount, count in self.points), ZERO)

    def mean(self, fn: Callable[[Decimal], Decimal], growth: Decimal = ONE) -> Decimal:
        """E[fn(X x growth)], unrounded (0 for an empty history)."""
        total = self.family_years
        return self.weighted(fn, growth) / total if total else ZERO

    def trust_fund(self, deductible: Decimal, growth: Decimal = ONE) -> Decimal:
        """E[min(X, D)]: what the trust fund pays per family (R-CL3)."""
        return self.mean(lambda x: min(x, deductible), growth)

    def excess(self, deductible: Decimal, growth: Decimal = ONE) -> Decimal:
        """E[(X - D)+]: what the carrier pays per family above the deductible."""
        return self.mean(lambda x: max(x - deductible, ZERO), growth)

    def unused(self, deductible: Decimal, maximum: Decimal, growth: Decimal = ONE) -> Decimal:
        """E[min(D - min(X, D), M)]: what vests per FULL-year family (R-VE2)."""
        return self.mean(lambda x: min(deductible - min(x, deductible), maximum), growth)

    def own_share(self, deductible: Decimal, account: Decimal, growth: Decimal = ONE) -> Decimal:
        """E[max(min(X, D) - HSA, 0)]: what a family pays itself under a deductible D
        beyond an account of ``account`` dollars."""
        return self.mean(lambda x: max(min(x, deductible) - account, ZERO), growth)

    def priced(self, premium: Decimal, deductible: Decimal, base_deductible: Decimal) -> Decimal:
        """The carrier's monthly premium at ``deductible`` when it is ``premium`` at
        ``base_deductible`` (module Decision: one-fifth fixed, four-fifths the expected
        claims above the deductible), to the cent; ``premium`` itself when the history has
        no claim above ``base_deductible``."""
        base = self.weighted(lambda x: max(x - base_deductible, ZERO))
        if not base:
            return premium
        above = self.weighted(lambda x: max(x - deductible, ZERO))
        return money(premium * (base + 4 * above) / (5 * base))


@dataclass(frozen=True)
class History:
    """What the projection reads from the employer's (or the pool's) own history, once.
    Rates in percent per year; amounts in dollars."""

    base_year: int  # the last completed policy year (R-PY1 start year)
    covered_employees: int  # employees covered in any tier on its June 30
    full_tier_employees: int  # of them, in the FULL tier
    major_medical: Decimal  # FULL tier's monthly carrier premium, both shares (R-PR1)
    dental: Decimal  # FULL tier's monthly dental premium, both shares
    deductible: Decimal  # the base year's (R-CL1)
    maximum_vest: Decimal  # the base year's (R-VE2)
    next_deductible: Decimal  # the first projected year's, when set up (else the base's)
    next_maximum_vest: Decimal
    claims: ClaimsDistribution
    admin_per_family: Decimal  # administrative costs per FULL-tier family (recent years)
    interest_rate: Decimal  # interest earned over the money held (recent years)
    turnover: Decimal  # payouts over the vested liability at the start of the year
    vested_liability: Decimal  # the Vested Trust Fund at the base year's end
    major_medical_inflation: Decimal  # the schedules' average yearly change
    dental_inflation: Decimal
    claims_trend: Decimal  # the average yearly change of claims per family

    @property
    def full_tier_share(self) -> Decimal:
        return percent_of(self.full_tier_employees, self.covered_employees) or ZERO


@dataclass(frozen=True)
class Assumptions:
    """What the superintendent may change (and save as a named scenario). Rates are
    percent per year; money in dollars."""

    major_medical_inflation: Decimal  # the carrier's premium (R-PR1 line)
    dental_inflation: Decimal  # the dental line
    interest_rate: Decimal  # on the money the plan holds
    claims_trend: Decimal  # growth of each family's claims
    covered_employees: int  # headcount at the base year's end
    headcount_growth: Decimal
    full_tier_share: Decimal  # tier mix: percent of the covered employees in the FULL tier
    deductible: Decimal  # Stay-Well's (R-CL1)
    maximum_vest: Decimal  # Stay-Well's (R-VE2), at most the deductible
    turnover: Decimal  # percent of the vested liability paid out each year
    admin_per_family: Decimal  # Stay-Well's administrative cost per family per year
    hdhp_deductible: Decimal  # the high-deductible plan's family deductible
    hsa_contribution: Decimal  # the employer's HSA deposit per family per year
    pool_premium: Decimal  # the state pool's premium per member per month, first year
    pool_inflation: Decimal  # the state pool's yearly change
    years: int = 10


# Fields of Assumptions: (name, label, kind, minimum, maximum). "percent" and "money" are
# Decimals, "count" an int. The pages, the API and the scenario model check with these.
ASSUMPTION_FIELDS: tuple[tuple[str, str, str, Decimal, Decimal], ...] = (
    ("major_medical_inflation", "Carrier premium inflation", "percent", Decimal(-50), HUNDRED),
    ("dental_inflation", "Dental premium inflation", "percent", Decimal(-50), HUNDRED),
    ("interest_rate", "Interest rate", "percent", Decimal(0), Decimal(50)),
    ("claims_trend", "Claims trend", "percent", Decimal(-50), HUNDRED),
    ("covered_employees", "Covered employees", "count", Decimal(0), Decimal(10_000_000)),
    ("headcount_growth", "Headcount growth", "percent", Decimal(-50), HUNDRED),
    ("full_tier_share", "Full tier share of covered employees", "percent", Decimal(0), HUNDRED),
    ("deductible", "Deductible", "money", ONE, Decimal(100_000)),
    ("maximum_vest", "Maximum vest per year", "money", Decimal(0), Decimal(100_000)),
    ("turnover", "Vested liability paid out per year", "percent", Decimal(0), HUNDRED),
    ("admin_per_family", "Administrative cost per family per year", "money", Decimal(0), Decimal(100_000)),
    ("hdhp_deductible", "High-deductible plan's family deductible", "money", ONE, Decimal(100_000)),
    ("hsa_contribution", "Employer's HSA deposit per family per year", "money", Decimal(0), Decimal(100_000)),
    ("pool_premium", "State pool premium per member per month", "money", ONE, Decimal(100_000)),
    ("pool_inflation", "State pool premium inflation", "percent", Decimal(-50), HUNDRED),
)  # fmt: skip


def assumption_errors(values: dict[str, object]) -> dict[str, str]:
    """``{field: message}`` for assumptions out of range (empty when all are fine): each
    between its bounds, percentages to two decimals, money to the cent (R-PY2), counts
    whole, and the maximum vest at most the deductible (R-VE2). ``values`` holds
    ``Decimal``/``int`` values by field name; a missing one is an error."""
    errors: dict[str, str] = {}
    for name, label, kind, low, high in ASSUMPTION_FIELDS:
        value = values.get(name)
        if not isinstance(value, Decimal | int) or isinstance(value, bool):
            errors[name] = f"Enter the {label.lower()}."
            continue
        number = Decimal(value)
        unit = {"percent": "%", "money": "$", "count": ""}[kind]
        if not number.is_finite() or not low <= number <= high:
            lo, hi = (
                (f"${low:,}", f"${high:,}") if unit == "$" else (f"{low}{unit}", f"{high}{unit}")
            )
            errors[name] = f"{label} must be between {lo} and {hi}."
        elif kind == "count" and number != number.to_integral_value():
            errors[name] = f"{label} is a whole number."
        elif number != number.quantize(Decimal("0.01")):
            errors[name] = f"{label} has more than two decimals."
    if "deductible" not in errors and "maximum_vest" not in errors:
        maximum, deductible = values["maximum_vest"], values["deductible"]
        assert isinstance(maximum, Decimal | int) and isinstance(deductible, Decimal | int)
        if maximum > deductible:
            errors["maximum_vest"] = "The maximum vest cannot be more than the deductible (R-VE2)."
    return errors


def average_growth(values: Sequence[Decimal]) -> Decimal:
    """The average yearly change, in percent to 0.1, of a series of yearly figures (the
    first to the last, geometric); 0 with fewer than two figures or a first figure of 0."""
    if len(values) < 2 or values[0] <= 0 or values[-1] <= 0:
        return ZERO
    ratio = values[-1] / values[0]
    yearly = ratio ** (ONE / (len(values) - 1)) - ONE
    return (yearly * HUNDRED).quantize(PERCENT_STEP, ROUND_HALF_UP)


PLAUSIBLE = {
    "inflation": (Decimal(-10), Decimal(20)),
    "claims_trend": (Decimal(-10), Decimal(15)),
    "interest": (Decimal(0), Decimal(15)),
    "turnover": (Decimal(0), Decimal(50)),
}


def _clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return min(max(value, low), high)


def default_assumptions(history: History) -> Assumptions:
    """The assumptions the history suggests (module Decisions): the observed inflation,
    interest, turnover and claims trend, headcount and
    tier mix of the base year, the plan's deductible and maximum vest of the first
    projected year; a high-deductible plan at six times the deductible with the employer
    depositing in the HSA what it now contributes to the trust fund; the state pool at
    this group's own first-dollar cost in the first projected year (its carrier premium
    plus its claims under the deductible and its administrative cost, per month), rising
    like the carrier's premium.

    Decision: a few years of a small group's history swing widely, so the suggested
    yearly rates stay within a band a plan administrator would defend for ten years
    (:data:`PLAUSIBLE`: inflation -10% to 20%, claims trend -10% to 15%, interest 0 to
    15%, payouts 0 to 50% of the liability); the page shows what was observed beside it.
    """
    inflation = _clamp(history.major_medical_inflation, *PLAUSIBLE["inflation"])
    trend = _clamp(history.claims_trend, *PLAUSIBLE["claims_trend"])
    first_premium = money(history.major_medical * (ONE + inflation / HUNDRED))
    growth = ONE + trend / HUNDRED
    claims_under = history.claims.trust_fund(history.deductible, growth)
    pool = money((first_premium * TWELVE + claims_under + history.admin_per_family) / TWELVE)
    return Assumptions(
        major_medical_inflation=inflation,
        dental_inflation=_clamp(history.dental_inflation, *PLAUSIBLE["inflation"]),
        interest_rate=_clamp(history.interest_rate, *PLAUSIBLE["interest"]),
        claims_trend=trend,
        covered_employees=history.covered_employees,
        headcount_growth=ZERO,
        full_tier_share=history.full_tier_share,
        deductible=history.next_deductible,
        maximum_vest=min(history.next_maximum_vest, history.next_deductible),
        turnover=_clamp(history.turnover, *PLAUSIBLE["turnover"]),
        admin_per_family=history.admin_per_family,
        hdhp_deductible=history.next_deductible * 6,
        hsa_contribution=history.next_deductible,
        pool_premium=max(pool, ONE),
        pool_inflation=inflation,
    )


# =========================================================================================
# The projection
# =========================================================================================


@dataclass(frozen=True)
class OptionYear:
    """One option's year: what the employer pays, gives or earns (dollars)."""

    premiums: Decimal  # carrier (or pool) and dental premiums
    claims: Decimal = ZERO  # trust-fund claims (Stay-Well)
    to_employees: Decimal = ZERO  # vested to side accounts (Stay-Well), HSA deposits (HDHP)
    admin: Decimal = ZERO  # administrative costs (Stay-Well)
    interest: Decimal = ZERO  # interest earned on the money held for the employees
    out_of_pocket: Decimal = ZERO  # what the families pay themselves

    @property
    def cost(self) -> Decimal:
        return self.premiums + self.claims + self.to_employees + self.admin - self.interest


@dataclass(frozen=True)
class ProjectionYear:
    """One projected policy year of the four options, with Stay-Well's own figures."""

    policy_year: int
    families: int  # FULL-tier families
    options: dict[str, OptionYear]
    contributions: Decimal  # Stay-Well's trust-fund contributions (N x D, R-PY2)
    payouts: Decimal  # Stay-Well: vested money paid to those who left
    vested_liability: Decimal  # Stay-Well: owed to the employees at the year's end
    other_liability: Decimal  # the other options: the liability already built, still owed

    @property
    def label(self) -> str:
        """R-PY1: "1985-86"."""
        return policy_year_label(self.policy_year)

    @property
    def savings(self) -> Decimal:
        """Against full coverage, as the results count them (unspent allotments in)."""
        stay_well = self.options["stay_well"]
        return self.options["full_coverage"].cost - stay_well.cost + stay_well.to_employees

    @property
    def kept(self) -> Decimal:
        """Against full coverage, what the employer keeps (vested money counted as cost)."""
        return self.options["full_coverage"].cost - self.options["stay_well"].cost


@dataclass(frozen=True)
class Projection:
    history_year: int
    assumptions: Assumptions
    years: tuple[ProjectionYear, ...]
    rates: dict[str, list[Decimal]] = field(default_factory=dict)  # monthly, by option

    def cumulative_cost(self, option: str) -> list[Decimal]:
        running, values = ZERO, []
        for year in self.years:
            running += year.options[option].cost
            values.append(running)
        return values

    def cumulative_difference(self, option: str) -> list[Decimal]:
        """Cumulative cost of ``option`` less Stay-Well's (positive: Stay-Well costs less)."""
        mine = self.cumulative_cost("stay_well")
        return [other - own for other, own in zip(self.cumulative_cost(option), mine, strict=True)]

    def total(self, name: str) -> Decimal:
        return sum((getattr(year, name) for year in self.years), ZERO)

    def total_cost(self, option: str) -> Decimal:
        return sum((year.options[option].cost for year in self.years), ZERO)

    def total_out_of_pocket(self, option: str) -> Decimal:
        return sum((year.options[option].out_of_pocket for year in self.years), ZERO)

    def cost_rows(self) -> list[tuple[ProjectionYear, list[Decimal]]]:
        """Each year with the four options' costs, in ``OPTIONS`` order."""
        return [(year, [year.options[key].cost for key in OPTIONS]) for year in self.years]

    def difference_rows(self) -> list[tuple[ProjectionYear, list[Decimal]]]:
        """Each year with the cumulative differences from Stay-Well of the three other
        options, then Stay-Well's vested liability."""
        others = [self.cumulative_difference(key) for key in OPTIONS[1:]]
        return [
            (year, [*(values[i] for values in others), year.vested_liability])
            for i, year in enumerate(self.years)
        ]

    @property
    def other_liability(self) -> Decimal:
        """Under the other options, what is still owed of the liability at the end."""
        return self.years[-1].other_liability if self.years else ZERO


def _renewed(rate: Decimal, inflation: Decimal) -> Decimal:
    return money(rate * (ONE + inflation / HUNDRED))


def _liability_year(liability: Decimal, turnover: Decimal) -> tuple[Decimal, Decimal]:
    """(payouts, what is left) of a liability at the turnover rate."""
    payouts = money(liability * turnover / HUNDRED)
    return payouts, liability - payouts


@dataclass
class _State:
    """The running values of a projection from one year to the next."""

    major_medical: Decimal
    full: Decimal
    dental: Decimal
    pool: Decimal
    liability: Decimal  # Stay-Well's
    other_liability: Decimal  # the other options'
    rates: dict[str, list[Decimal]] = field(default_factory=dict)


def _families(a: Assumptions, t: int) -> int:
    growth = (ONE + a.headcount_growth / HUNDRED) ** t
    return _whole(Decimal(a.covered_employees) * growth * a.full_tier_share / HUNDRED)


def _stay_well_year(
    history: History, a: Assumptions, state: _State, n: int, growth: Decimal
) -> tuple[OptionYear, Decimal, Decimal]:
    """Stay-Well's year: (option, contributions, payouts); moves its liability on."""
    carrier = history.claims.priced(state.major_medical, a.deductible, history.deductible)
    state.rates.setdefault("stay_well", []).append(carrier)
    premiums = n * TWELVE * (carrier + state.dental)
    claims = money(n * history.claims.trust_fund(a.deductible, growth))
    vested = money(n * history.claims.unused(a.deductible, a.maximum_vest, growth))
    contributions = n * a.deductible  # twelve monthly shares are the deductible (R-PY2)
    payouts, _ = _liability_year(state.liability, a.turnover)
    held = state.liability - payouts / 2 + (contributions - claims) / 2
    interest = money(held * a.interest_rate / HUNDRED)
    state.liability = state.liability - payouts + vested
    option = OptionYear(
        premiums=premiums,
        claims=claims,
        to_employees=vested,
        admin=money(n * a.admin_per_family),
        interest=interest,
    )
    return option, contributions, payouts


def _other_options(
    history: History, a: Assumptions, state: _State, n: int, growth: Decimal, interest: Decimal
) -> dict[str, OptionYear]:
    hdhp_rate = history.claims.priced(state.major_medical, a.hdhp_deductible, history.deductible)
    for name, rate in (
        ("full_coverage", state.full),
        ("hdhp", hdhp_rate),
        ("state_pool", state.pool),
    ):
        state.rates.setdefault(name, []).append(rate)
    own = money(n * history.claims.own_share(a.hdhp_deductible, a.hsa_contribution, growth))
    return {
        "full_coverage": OptionYear(
            premiums=n * TWELVE * (state.full + state.dental), interest=interest
        ),
        "hdhp": OptionYear(
            premiums=n * TWELVE * (hdhp_rate + state.dental),
            to_employees=n * a.hsa_contribution,
            interest=interest,
            out_of_pocket=own,
        ),
        "state_pool": OptionYear(
            premiums=n * TWELVE * (state.pool + state.dental), interest=interest
        ),
    }


def project(history: History, assumptions: Assumptions) -> Projection:
    """The next ``assumptions.years`` policy years after ``history.base_year`` under the
    four options (module docstring for every formula)."""
    a = assumptions
    state = _State(
        major_medical=history.major_medical,
        full=history.major_medical + money(history.deductible / TWELVE),
        dental=history.dental,
        pool=a.pool_premium,
        liability=history.vested_liability,
        other_liability=history.vested_liability,
    )
    years = []
    for t in range(1, a.years + 1):
        state.major_medical = _renewed(state.major_medical, a.major_medical_inflation)
        state.full = _renewed(state.full, a.major_medical_inflation)
        state.dental = _renewed(state.dental, a.dental_inflation)
        if t > 1:
            state.pool = _renewed(state.pool, a.pool_inflation)
        n = _families(a, t)
        growth = (ONE + a.claims_trend / HUNDRED) ** t
        stay_well, contributions, payouts = _stay_well_year(history, a, state, n, growth)
        other_payouts, left = _liability_year(state.other_liability, a.turnover)
        other_interest = money(
            (state.other_liability - other_payouts / 2) * a.interest_rate / HUNDRED
        )
        state.other_liability = left
        options = {
            "stay_well": stay_well,
            **_other_options(history, a, state, n, growth, other_interest),
        }
        years.append(
            ProjectionYear(
                policy_year=history.base_year + t,
                families=n,
                options=options,
                contributions=contributions,
                payouts=payouts,
                vested_liability=state.liability,
                other_liability=state.other_liability,
            )
        )
    return Projection(history.base_year, a, tuple(years), state.rates)


# =========================================================================================
# The sensitivity
# =========================================================================================


@dataclass(frozen=True)
class SensitivityPoint:
    deductible: Decimal
    maximum_vest: Decimal
    savings: Decimal  # over the projection's years, against full coverage (unspent in)
    kept: Decimal  # over the projection's years, what the employer keeps
    vested_liability: Decimal  # at the end of the projection
    carrier_premium: Decimal  # the first projected year's monthly carrier premium


@dataclass(frozen=True)
class Sensitivity:
    points: tuple[SensitivityPoint, ...]

    @property
    def best(self) -> SensitivityPoint | None:
        """The deductible that leaves the employer most; the lower one on a tie."""
        best: SensitivityPoint | None = None
        for point in self.points:
            if best is None or point.kept > best.kept:
                best = point
        return best


def sensitivity(
    history: History,
    assumptions: Assumptions,
    deductibles: Iterable[Decimal] = SENSITIVITY_DEDUCTIBLES,
) -> Sensitivity:
    """Stay-Well's projection at each deductible, the maximum vest in the scenario's ratio
    to the deductible (module docstring)."""
    ratio = assumptions.maximum_vest / assumptions.deductible if assumptions.deductible else ONE
    points = []
    for deductible in deductibles:
        changed = replace(
            assumptions,
            deductible=deductible,
            maximum_vest=min(deductible, money(deductible * ratio)),
        )
        projection = project(history, changed)
        points.append(
            SensitivityPoint(
                deductible=deductible,
                maximum_vest=changed.maximum_vest,
                savings=projection.total("savings"),
                kept=projection.total("kept"),
                vested_liability=projection.years[-1].vested_liability
                if projection.years
                else ZERO,
                carrier_premium=projection.rates.get("stay_well", [ZERO])[0],
            )
        )
    return Sensitivity(tuple(points))
