"""The economics pages' charts for Chart.js (``reports/static/reports/charts.js``), by
canvas id. Each chart has a table of the same figures beside it on the page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accounts.rules import policy_year_label
from reports.economics.rules import OPTION_LABELS, OPTIONS, UtilizationYear
from reports.economics.selectors import EconomicsResults, ProjectionPage
from reports.selectors import Series
from staywell.money import ZERO


def results_charts(data: EconomicsResults) -> dict[str, Any]:
    labels = [policy_year_label(year.policy_year) for year in data.years]
    savings = Series(
        labels,
        {
            "Savings": [year.savings for year in data.years],
            "Kept by the employer": [year.kept for year in data.years],
        },
    )
    cumulative = Series(
        labels,
        {
            "Cumulative savings": data.results.cumulative("savings"),
            "Vested liability": [year.vested_liability for year in data.years],
        },
    )
    return {
        "chart-savings": {"type": "bar", **savings.chart_json()},
        "chart-cumulative": {"type": "line", **cumulative.chart_json()},
    }


def projection_charts(page: ProjectionPage) -> dict[str, Any]:
    projection = page.projection
    labels = [policy_year_label(year.policy_year) for year in projection.years]
    costs = Series(labels, {OPTION_LABELS[key]: projection.cumulative_cost(key) for key in OPTIONS})
    points = page.sensitivity.points
    deductibles = Series(
        [f"${point.deductible:,.0f}" for point in points],
        {
            "Savings (unspent allotments in)": [point.savings for point in points],
            "Kept by the employer": [point.kept for point in points],
        },
    )
    return {
        "chart-costs": {"type": "line", **costs.chart_json()},
        "chart-sensitivity": {"type": "bar", **deductibles.chart_json()},
    }


def utilization_charts(years: list[UtilizationYear]) -> dict[str, Any]:
    labels = [policy_year_label(year.policy_year) for year in years]

    def shares(name: str) -> list[Decimal]:
        return [year.share(getattr(year, name)) or ZERO for year in years]

    families = Series(
        labels,
        {
            "No claims": shares("no_claims"),
            "Under the deductible": shares("under"),
            "At or over the deductible": shares("over"),
        },
    )
    care = Series(
        labels,
        {
            "Claims per family": [year.claims_per_family or ZERO for year in years],
            "Preventive claims per family": [year.preventive_per_family or ZERO for year in years],
        },
    )
    return {
        "chart-families": {"type": "bar", "percent": True, **families.chart_json()},
        "chart-care": {"type": "line", "count": True, **care.chart_json()},
    }
