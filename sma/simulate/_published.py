"""Published tax-alpha results, beside which the report shows ours (never tuned to them)."""

from __future__ import annotations

import pandas as pd

PUBLISHED = pd.DataFrame(
    [
        {
            "study": "Chaudhuri, Burnham & Lo (2020), 'An Empirical Evaluation of "
            "Tax-Loss-Harvesting Alpha'",
            "assumptions": "500 large US stocks, wash-sale rule, 1926-2018 paths, top tax rates",
            "published": "about 0.8-1.1 % a year (wash-sale rule on)",
            "low": 0.008,
            "high": 0.011,
            "compare_with": "ENGINE, LUMP_SUM, annual tax alpha",
        },
        {
            "study": "Khang, Cummings & Paradise (Vanguard), 'Personalized indexing: A "
            "portfolio construction plan'",
            "assumptions": "high-net-worth investor, 10 years, monthly to daily harvesting",
            "published": "about 1.2-1.4 % a year over 10 years",
            "low": 0.012,
            "high": 0.014,
            "compare_with": "ENGINE, all profiles, annual tax alpha over 10 years",
        },
        {
            "study": "Sosner, Gromis & Krasner (2022), 'The Tax Benefits of Direct Indexing: "
            "Not a Slam Dunk'",
            "assumptions": "no contributions after funding",
            "published": "benefits fade after about five years",
            "low": float("nan"),
            "high": float("nan"),
            "compare_with": "ENGINE, LUMP_SUM, losses harvested per year by year",
        },
    ]
)

WHY_WE_DIFFER = (
    "Our path is one seed of a factor model, not 1926-2018 history: a single path's drawdown "
    "timing moves "
    "a decade's harvest a lot, and more vintages and seeds narrow it. Tax alpha here is "
    "after-tax minus "
    "pre-tax return of the account itself, with taxes settled outside the account each year (no "
    "reinvestment "
    "of savings), which is lower than conventions that compound the savings. Held-away gains "
    "are assumed "
    "unlimited unless set otherwise; with none, losses beyond $3,000 a year only carry forward "
    "and the "
    "alpha falls. Tax alpha without liquidation counts deferral as a gain; with liquidation at "
    "the end much "
    "of it is paid back (the tax_alpha_liquidated column). Decisions are weekly by default, and "
    "trading "
    "costs of 5 bp a side are charged. Early down years on a path (see the market table) raise the "
    "harvest of the first years, and so the decade's average, above what a rising decade would "
    "give."
)


def beside_published(summary: pd.DataFrame, years: pd.DataFrame) -> pd.DataFrame:
    """Each published result with ours for the matching assumptions (ENGINE accounts of the run).

    Chaudhuri et al.: the lump-sum accounts' annual tax alpha. Vanguard: every profile's annual tax
    alpha. Sosner et al.: the lump-sum accounts' losses harvested in the first half of their years
    against the second half, as a share of the initial value.
    """
    engine = summary[summary["strategy"] == "ENGINE"]
    lump = engine[engine["profile"] == "LUMP_SUM"]
    y = years[(years["strategy"] == "ENGINE") & (years["profile"] == "LUMP_SUM")].copy()
    ours = []
    ours.append(
        f"{lump['tax_alpha'].mean():.2%} a year ({len(lump)} lump-sum account(s))"
        if len(lump)
        else "not run"
    )
    ours.append(
        f"{engine['tax_alpha'].mean():.2%} a year ({len(engine)} account(s), all profiles)"
        if len(engine)
        else "not run"
    )
    if len(y):
        y["n"] = y.groupby(["vintage", "account_id"]).cumcount()
        per_year = (
            y.groupby("n")["losses_harvested_pct"]
            .mean()
            .diff()
            .fillna(y.groupby("n")["losses_harvested_pct"].mean().iloc[0])
        )
        half = max(len(per_year) // 2, 1)
        ours.append(
            f"losses harvested {per_year.iloc[:half].sum():.1%} of initial value in years "
            f"1-{half}, "
            f"{per_year.iloc[half:].sum():.1%} after"
        )
    else:
        ours.append("not run")
    return PUBLISHED.assign(ours=ours)
