"""The plan economics' pure functions (``reports.economics.rules``, section 8), against
figures worked by hand: two small cases for each of the four options of the ten-year
projection, the sensitivity's best deductible on a constructed history, the results'
savings and the assumptions' checks.

Case 1 (one year, no inflation, no interest): 10 FULL-tier families; the carrier's premium
$100.00 a month, dental $10.00; a $500 deductible and maximum vest; $20.00 of
administrative cost per family; the history's families' yearly allowed claims X are
0, 200, 1,000 and 3,000 (one family-year each):

    E[min(X, 500)]           = (0 + 200 + 500 + 500) / 4        = 300     (trust fund)
    E[(X - 500)+]            = (0 + 0 + 500 + 2,500) / 4        = 750     (carrier)
    E[min(500-min(X,500),500)] = (500 + 300 + 0 + 0) / 4        = 200     (vests, R-VE2)
    E[(X - 2,000)+]          = (0 + 0 + 0 + 1,000) / 4          = 250     (HDHP's carrier)
    HDHP premium: one-fifth fixed, four-fifths the claims above its deductible:
                   1/5 + 4/5 x 250/750 = (750 + 4 x 250) / (5 x 750) = 1,750 / 3,750
    E[max(min(X,2000)-500,0)] = (0 + 0 + 500 + 1,500) / 4       = 500     (own, after HSA)

Case 2 (two years): case 1 with 10% carrier inflation, a 10% claims trend, 5% interest,
10% of the vested liability paid out a year, $1,000.00 vested already, the state pool
rising 5% a year. The claims grown by 1.1 (year 1) and 1.21 (year 2):

    year 1: X = 0, 220, 1,100, 3,300   E[min(X,500)] = 1,220/4 = 305
            unused = (500 + 280)/4 = 195      own = (0 + 0 + 600 + 1,500)/4 = 525
    year 2: X = 0, 242, 1,210, 3,630   E[min(X,500)] = 1,242/4 = 310.5
            unused = (500 + 258)/4 = 189.5    own = (0 + 0 + 710 + 1,500)/4 = 552.5
    carrier:      100.00 -> 110.00 -> 121.00
    full cover:   100.00 + 41.67 = 141.67 -> 155.837 = 155.84 -> 171.424 = 171.42
    HDHP carrier: 110.00 x 1,750/3,750 = 51.33;  121.00 x 1,750/3,750 = 56.47
    state pool:   140.00 (first year's quote) -> 147.00
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from reports.economics.rules import (
    Assumptions,
    ClaimsDistribution,
    History,
    Results,
    ResultYear,
    assumption_errors,
    average_growth,
    default_assumptions,
    project,
    sensitivity,
    sheltered,
)

D = Decimal


def history(**changes) -> History:
    values = {
        "base_year": 1985,
        "covered_employees": 10,
        "full_tier_employees": 10,
        "major_medical": D("100.00"),
        "dental": D("10.00"),
        "deductible": D("500.00"),
        "maximum_vest": D("500.00"),
        "next_deductible": D("500.00"),
        "next_maximum_vest": D("500.00"),
        "claims": ClaimsDistribution(((D(0), 1), (D(200), 1), (D(1000), 1), (D(3000), 1))),
        "admin_per_family": D("20.00"),
        "interest_rate": D(0),
        "turnover": D(0),
        "vested_liability": D("0.00"),
        "major_medical_inflation": D(0),
        "dental_inflation": D(0),
        "claims_trend": D(0),
    }
    values.update(changes)
    return History(**values)


def assumptions(**changes) -> Assumptions:
    values = {
        "major_medical_inflation": D(0),
        "dental_inflation": D(0),
        "interest_rate": D(0),
        "claims_trend": D(0),
        "covered_employees": 10,
        "headcount_growth": D(0),
        "full_tier_share": D(100),
        "deductible": D("500.00"),
        "maximum_vest": D("500.00"),
        "turnover": D(0),
        "admin_per_family": D("20.00"),
        "hdhp_deductible": D("2000.00"),
        "hsa_contribution": D("500.00"),
        "pool_premium": D("140.00"),
        "pool_inflation": D(0),
        "years": 1,
    }
    values.update(changes)
    return Assumptions(**values)


CASE_2 = {
    "major_medical_inflation": D(10),
    "claims_trend": D(10),
    "interest_rate": D(5),
    "turnover": D(10),
    "pool_inflation": D(5),
    "years": 2,
}


def case_1():
    return project(history(), assumptions())


def case_2():
    return project(history(vested_liability=D("1000.00")), assumptions(**CASE_2))


# --- Stay-Well as configured --------------------------------------------------------------


def test_stay_well_case_1_one_year_without_inflation():
    year = case_1().years[0]
    stay_well = year.options["stay_well"]
    assert (year.policy_year, year.families) == (1986, 10)
    # premiums: 10 families x 12 months x (100.00 carrier + 10.00 dental) = 13,200.00
    assert stay_well.premiums == D("13200.00")
    # trust-fund claims: 10 x E[min(X, 500)] = 10 x 300 = 3,000.00 (R-CL3)
    assert stay_well.claims == D("3000.00")
    # vested: 10 x 200 = 2,000.00 (R-VE2); contributions 10 x 500 = 5,000.00 (R-PY2)
    assert stay_well.to_employees == D("2000.00")
    assert year.contributions == D("5000.00")
    # administrative costs: 10 x 20.00 = 200.00; no interest at 0%
    assert (stay_well.admin, stay_well.interest) == (D("200.00"), D("0.00"))
    # cost: 13,200 + 3,000 + 2,000 + 200 - 0 = 18,400.00
    assert stay_well.cost == D("18400.00")
    # the liability it builds: 0 + 2,000 vested - 0 paid out
    assert (year.payouts, year.vested_liability) == (D("0.00"), D("2000.00"))
    assert stay_well.out_of_pocket == D("0.00")


def test_stay_well_case_2_two_years_with_inflation_trend_interest_and_turnover():
    first, second = case_2().years
    sw1, sw2 = first.options["stay_well"], second.options["stay_well"]
    # year 1: premiums 10 x 12 x (110.00 + 10.00) = 14,400.00; claims 10 x 305 = 3,050.00
    assert (sw1.premiums, sw1.claims) == (D("14400.00"), D("3050.00"))
    # vested 10 x 195 = 1,950.00; payouts 10% of 1,000.00 = 100.00
    assert (sw1.to_employees, first.payouts) == (D("1950.00"), D("100.00"))
    # interest: 5% x (1,000 - 100/2 + (5,000 - 3,050)/2) = 5% x 1,925 = 96.25
    assert sw1.interest == D("96.25")
    # cost: 14,400 + 3,050 + 1,950 + 200 - 96.25 = 19,503.75
    assert sw1.cost == D("19503.75")
    # liability: 1,000 - 100 + 1,950 = 2,850.00
    assert first.vested_liability == D("2850.00")
    # year 2: premiums 10 x 12 x (121.00 + 10.00) = 15,720.00; claims 10 x 310.5 = 3,105.00
    assert (sw2.premiums, sw2.claims) == (D("15720.00"), D("3105.00"))
    # vested 10 x 189.5 = 1,895.00; payouts 10% of 2,850.00 = 285.00
    assert (sw2.to_employees, second.payouts) == (D("1895.00"), D("285.00"))
    # interest: 5% x (2,850 - 142.50 + (5,000 - 3,105)/2) = 5% x 3,655 = 182.75
    assert sw2.interest == D("182.75")
    # cost: 15,720 + 3,105 + 1,895 + 200 - 182.75 = 20,737.25
    assert sw2.cost == D("20737.25")
    # liability: 2,850 - 285 + 1,895 = 4,460.00
    assert second.vested_liability == D("4460.00")


# --- Full coverage ------------------------------------------------------------------------


def test_full_coverage_case_1_costs_the_premium_plus_the_trust_fund_line():
    year = case_1().years[0]
    full = year.options["full_coverage"]
    # 100.00 + 500/12 = 100.00 + 41.67 = 141.67 a month; 10 x 12 x (141.67 + 10.00) = 18,200.40
    assert full.premiums == D("18200.40")
    assert full.cost == D("18200.40")
    # against Stay-Well: it keeps 18,200.40 - 18,400.00 = -199.60; the savings as the
    # results count them add back the 2,000.00 vested: 1,800.40
    assert year.kept == D("-199.60")
    assert year.savings == D("1800.40")


def test_full_coverage_case_2_rises_with_the_whole_premium():
    projection = case_2()
    first, second = projection.years
    # year 1: 10 x 12 x (155.84 + 10.00) = 19,900.80; interest on the liability already
    # built: 5% x (1,000 - 100/2) = 47.50; cost 19,900.80 - 47.50 = 19,853.30
    assert first.options["full_coverage"].premiums == D("19900.80")
    assert first.options["full_coverage"].interest == D("47.50")
    assert first.options["full_coverage"].cost == D("19853.30")
    assert first.other_liability == D("900.00")  # 1,000 - 10% paid out
    # year 2: 10 x 12 x (171.42 + 10.00) = 21,770.40; interest 5% x (900 - 45) = 42.75
    assert second.options["full_coverage"].cost == D("21727.65")
    assert second.other_liability == D("810.00")
    # cumulative: (19,853.30 + 21,727.65) - (19,503.75 + 20,737.25) = 1,339.95
    assert projection.cumulative_difference("full_coverage") == [D("349.55"), D("1339.95")]
    assert projection.rates["full_coverage"] == [D("155.84"), D("171.42")]


# --- High-deductible plan with an HSA ------------------------------------------------------


def test_hdhp_case_1_is_priced_from_the_claims_above_its_deductible():
    hdhp = case_1().years[0].options["hdhp"]
    # premium: 100.00 x 1,750 / 3,750 = 46.67; 10 x 12 x (46.67 + 10.00) = 6,800.40
    assert hdhp.premiums == D("6800.40")
    # the employer's HSA deposits: 10 x 500.00 = 5,000.00; cost 11,800.40
    assert hdhp.to_employees == D("5000.00")
    assert hdhp.cost == D("11800.40")
    # the families' own: 10 x 500 = 5,000.00
    assert hdhp.out_of_pocket == D("5000.00")


def test_hdhp_case_2_two_years():
    projection = case_2()
    first, second = (year.options["hdhp"] for year in projection.years)
    # year 1: 51.33; 10 x 12 x 61.33 = 7,359.60 + 5,000.00 - 47.50 = 12,312.10
    assert first.premiums == D("7359.60")
    assert first.cost == D("12312.10")
    assert first.out_of_pocket == D("5250.00")  # 10 x 525
    # year 2: 56.47; 10 x 12 x 66.47 = 7,976.40 + 5,000.00 - 42.75 = 12,933.65
    assert second.cost == D("12933.65")
    assert second.out_of_pocket == D("5525.00")  # 10 x 552.5
    # cumulative: 25,245.75 - 40,241.00 = -14,995.25 (the HDHP costs the employer less)
    assert projection.cumulative_difference("hdhp")[-1] == D("-14995.25")


# --- State pool ---------------------------------------------------------------------------


def test_state_pool_case_1_charges_the_quoted_premium_per_member():
    pool = case_1().years[0].options["state_pool"]
    # 10 x 12 x (140.00 + 10.00) = 18,000.00
    assert pool.premiums == D("18000.00")
    assert pool.cost == D("18000.00")
    assert pool.to_employees == pool.claims == pool.out_of_pocket == D("0.00")


def test_state_pool_case_2_rises_by_its_own_inflation_from_the_second_year():
    projection = case_2()
    first, second = (year.options["state_pool"] for year in projection.years)
    # year 1: 10 x 12 x 150.00 = 18,000.00 - 47.50 = 17,952.50
    assert first.cost == D("17952.50")
    # year 2: 140.00 x 1.05 = 147.00; 10 x 12 x 157.00 = 18,840.00 - 42.75 = 18,797.25
    assert second.cost == D("18797.25")
    # cumulative: 36,749.75 - 40,241.00 = -3,491.25
    assert projection.cumulative_difference("state_pool") == [D("-1551.25"), D("-3491.25")]


def test_headcount_growth_and_tier_mix_set_the_families():
    projection = project(
        history(),
        assumptions(covered_employees=200, full_tier_share=D(70), headcount_growth=D(5), years=2),
    )
    # 200 x 70% = 140; 200 x 1.05 x 70% = 147; 200 x 1.1025 x 70% = 154.35 -> 154
    assert [year.families for year in projection.years] == [147, 154]


def test_a_ten_year_projection_names_the_policy_years():
    projection = project(history(), assumptions(years=10))
    assert [year.policy_year for year in projection.years] == list(range(1986, 1996))


# --- The sensitivity ----------------------------------------------------------------------
#
# A constructed history: one family-year each of X = 0, 600, 1,100 and 5,000; the carrier
# charges 325.00 a month at the $500 deductible, so 12 x 325 = 3,900 for claims above it
# of (0 + 100 + 600 + 4,500) = 5,200 in the four family-years (1,300 a year). One family,
# one year, nothing else. Full coverage: 325.00 + 41.67 = 366.67 a month, 4,400.04 a year.
# With the maximum vest equal to the deductible, the trust-fund claims and the vested
# amount add up to D, so the employer keeps 4,400.04 - 12 x P(D) - D, where the carrier's
# premium P(D) = 325.00 x (5,200 + 4 x S(D)) / (5 x 5,200) = 65 + S(D) / 20, S(D) the
# claims above D in the four family-years:
#
#   D       S(D)                       P(D)     12 P(D)    kept
#   250     0+350+850+4750 = 5950      362.50   4350.00    -199.96
#   500     5200                       325.00   3900.00       0.04
#   750     350+4250       = 4600      295.00   3540.00     110.04
#   1000    100+4000       = 4100      270.00   3240.00     160.04   <- best
#   1250    3750                       252.50   3030.00     120.04
#   1500    3500                       240.00   2880.00      20.04
#   1750    3250                       227.50   2730.00     -79.96
#   2000    3000                       215.00   2580.00    -179.96

SKEWED = ClaimsDistribution(((D(0), 1), (D(600), 1), (D(1100), 1), (D(5000), 1)))


def one_family(**changes):
    return assumptions(covered_employees=1, admin_per_family=D(0), **changes)


def test_sensitivity_finds_the_best_deductible_on_a_constructed_history():
    data = history(claims=SKEWED, major_medical=D("325.00"), dental=D(0))
    result = sensitivity(data, one_family())
    assert [point.deductible for point in result.points] == [
        D(250), D(500), D(750), D(1000), D(1250), D(1500), D(1750), D(2000)
    ]  # fmt: skip
    assert [point.kept for point in result.points] == [
        D("-199.96"), D("0.04"), D("110.04"), D("160.04"),
        D("120.04"), D("20.04"), D("-79.96"), D("-179.96"),
    ]  # fmt: skip
    assert [point.carrier_premium for point in result.points][:3] == [
        D("362.50"), D("325.00"), D("295.00")
    ]  # fmt: skip
    assert result.best is not None and result.best.deductible == D(1000)
    # the maximum vest moves with the deductible (here equal to it, R-VE2)
    assert [point.maximum_vest for point in result.points][-1] == D(2000)


def test_sensitivity_with_a_cheap_carrier_keeps_the_lowest_deductible():
    # The carrier charges 100.00 (12 x 100 = 1,200 for 1,300 of claims a year: under cost).
    # P(D) = 100 x (5,200 + 4 S(D)) / 26,000 = 20 + S(D)/65. Full coverage 12 x 141.67 =
    # 1,700.04. D = 250: P = 20 + 91.538 = 111.54, kept 1,700.04 - 1,338.48 - 250 = 111.56;
    # D = 500: 0.04; D = 750: P = 20 + 70.769 = 90.77, kept 1,700.04 - 1,089.24 - 750 =
    # -139.20: the lowest deductible is best.
    data = history(claims=SKEWED, major_medical=D("100.00"), dental=D(0))
    result = sensitivity(data, one_family())
    assert [point.kept for point in result.points][:3] == [D("111.56"), D("0.04"), D("-139.20")]
    assert result.best is not None and result.best.deductible == D(250)


# --- Results since inception ----------------------------------------------------------------


def test_a_years_savings_are_contributions_less_claims_and_costs_plus_interest():
    # Mendocino's first year, in round figures: 160 employees x 12 months; premium 64.06,
    # trust-fund line 41.67 a month.
    year = ResultYear(
        policy_year=1979,
        complete=True,
        full_months=1920,
        carrier_premiums=D("122995.20"),  # 1,920 x 64.06
        contributions=D("80006.40"),  # 1,920 x 41.67
        claims=D("52000.00"),
        admin_costs=D("3000.00"),
        interest=D("4500.00"),
        vested=D("25000.00"),
        to_district=D("0.00"),
        payouts=D("0.00"),
        vested_liability=D("25000.00"),
    )
    # full coverage: 122,995.20 + 80,006.40 = 203,001.60
    assert year.full_coverage_cost == D("203001.60")
    # plan: 122,995.20 + 52,000 + 3,000 - 4,500 = 173,495.20; savings 29,506.40
    assert year.plan_cost == D("173495.20")
    assert year.savings == D("29506.40")
    # kept by the employer: 29,506.40 - 25,000 vested = 4,506.40
    assert year.kept == D("4506.40")
    results = Results((year, replace(year, policy_year=1980)))
    assert results.cumulative("savings") == [D("29506.40"), D("59012.80")]
    assert results.totals["kept"] == D("9012.80")


def test_sheltering_is_the_trust_fund_line_grown_with_the_premium():
    # First year 64.06 premium and 41.67 line; now 96.09 (x 1.5): the line would be 62.505,
    # so 20.835 a month is sheltered; 1,920 months -> 40,003.20
    assert sheltered(1920, D("64.06"), D("41.67"), D("96.09"), D("41.67")) == D("40003.20")
    assert sheltered(1920, D("64.06"), D("41.67"), D("50.00"), D("41.67")) == D("0.00")


# --- Defaults and checks --------------------------------------------------------------------


def test_average_growth_is_geometric():
    # 100 -> 121 over two years: 10% a year
    assert average_growth([D(100), D(110), D(121)]) == D("10.0")
    assert average_growth([D(0), D(110)]) == D(0)
    assert average_growth([D(100)]) == D(0)


def test_default_assumptions_follow_the_history():
    data = history(
        major_medical_inflation=D("8.0"),
        interest_rate=D("6.5"),
        covered_employees=40,
        full_tier_employees=30,
    )
    defaults = default_assumptions(data)
    assert defaults.major_medical_inflation == D("8.0")
    assert defaults.interest_rate == D("6.5")
    assert defaults.full_tier_share == D("75.0")
    assert (defaults.hdhp_deductible, defaults.hsa_contribution) == (D("3000.00"), D("500.00"))
    # pool: (12 x 108.00 + E[min(X,500)] 300 + 20.00 admin) / 12 = (1,296 + 320)/12 = 134.67
    assert defaults.pool_premium == D("134.67")
    assert defaults.pool_inflation == D("8.0")


def test_default_assumptions_stay_within_a_defensible_band():
    # Three years of a small group rising 28% a year is not ten years' trend.
    defaults = default_assumptions(
        history(claims_trend=D("28.1"), major_medical_inflation=D("-30"), turnover=D("80"))
    )
    assert defaults.claims_trend == D(15)
    assert defaults.major_medical_inflation == D(-10)
    assert defaults.turnover == D(50)


def values(**changes):
    return {**assumptions().__dict__, **changes}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"interest_rate": D(80)}, "interest_rate", "Interest rate must be between 0% and 50%."),
        ({"deductible": D("0.50")}, "deductible", "Deductible must be between $1 and $100,000."),
        (
            {"maximum_vest": D("600.00")},
            "maximum_vest",
            "The maximum vest cannot be more than the deductible (R-VE2).",
        ),
        ({"claims_trend": D("1.234")}, "claims_trend", "Claims trend has more than two decimals."),
        ({"covered_employees": None}, "covered_employees", "Enter the covered employees."),
    ],
)
def test_assumptions_out_of_range_are_refused_by_field(changes, field, message):
    assert assumption_errors(values(**changes)) == {field: message}


def test_sensible_assumptions_pass():
    assert assumption_errors(values()) == {}
