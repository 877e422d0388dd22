"""The crime: facilitator households abroad and the buyers who pay them (typology.md).

Households are relatives (shared surname, mostly women) receiving under one to four
identities, some of them variants of a member's own name, often giving one phone, paid out
in hotspot cities. Buyers are men of 37-70 in France (some abroad) who pay 15-150 EUR per
session, a heavy-tailed number of times, to one to six identities across one to three
households, often at night their time, often in round sums, some escalating, some switching
operator when an account closes. Volumes are calibrated in calibration.py; the facilitators'
ages (19-68, mean 38) and habit mixes written here are inferred.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from filature.synth import calibration as cal
from filature.synth.clock import mixed_clock
from filature.synth.events import BUYER_PLAIN, COVER, Events, draw_messages, round_to
from filature.synth.identities import (
    World,
    add_receivers,
    add_senders,
    ages,
    choose,
    cities_in,
    residence,
    sexes,
)
from filature.synth.places import COUNTRIES


@dataclass(frozen=True)
class Households:
    """Facilitator households: their identities (party numbers) and how popular each is."""

    identities: list[np.ndarray]     # per household, its receiving identities
    weights: list[np.ndarray]        # per household, how often each identity is given
    popularity: np.ndarray           # chance a buyer finds each household
    countries: np.ndarray            # country code per household
    surnames: np.ndarray             # family surname (pool index) per household
    first_id: int                    # household ids start here (truth)


def facilitator_households(w: World, n: int, first_id: int) -> Households:
    """n households with 1-4 identities each; a loop per household (hundreds at most)."""
    rng = w.rng
    countries = choose(w, n, cal.FACILITATOR_COUNTRIES)
    surnames = np.array([rng.choice(w.pools.surnames[COUNTRIES[c].origin]) for c in countries])
    hotspot = cities_in(w, countries, cal.HOUSEHOLD_HOTSPOT_SHARE)
    sizes = rng.choice(np.arange(cal.HOUSEHOLD_IDENTITIES[0], cal.HOUSEHOLD_IDENTITIES[1] + 1),
                       size=n, p=[0.3, 0.3, 0.25, 0.15])
    identities, weights = [], []
    for h in range(n):
        k = int(sizes[h])
        country = np.full(k, countries[h], dtype=object)
        sex = sexes(w, k, 1 - cal.HOUSEHOLD_FEMALE_SHARE)
        # The first identity is a member; the others a new relative or an alias of a member.
        alias = rng.random(k) < cal.HOUSEHOLD_ALIAS_SHARE
        alias[0] = False
        n_m = int((~alias).sum())
        own = np.arange(w.parties.size, w.parties.size + n_m)
        shares_phone = rng.random() < cal.HOUSEHOLD_SHARED_PHONE
        members = add_receivers(
            w, country[~alias], role="facilitator", population="facilitator", sex=sex[~alias],
            ages=ages(w, n_m, 38, 11, 19, 68),
            cities=np.full(n_m, hotspot[h], dtype=object),
            surname=np.where(rng.random(n_m) < 0.85, surnames[h], -1),
            household=first_id + h,
            phone_of=np.where(shares_phone & (rng.random(n_m) < 0.8), own[0], own))
        ids = [members]
        if alias.any():
            of = rng.choice(members, size=int(alias.sum()))
            married = np.array([rng.choice(w.pools.surnames[COUNTRIES[countries[h]].origin])
                                for _ in of])
            mine = np.arange(w.parties.size, w.parties.size + len(of))
            ids.append(add_receivers(
                w, country[alias], role="facilitator", population="facilitator",
                sex=w.parties.column("sex")[of], ages=np.zeros(len(of)),
                cities=np.full(len(of), hotspot[h], dtype=object), surname=married,
                given=w.parties.column("given")[of], household=first_id + h,
                same_person_as=of, birth=w.parties.column("birth")[of],
                phone_of=np.where(rng.random(len(of)) < 0.7,
                                  w.parties.column("phone_of")[of], mine)))
        all_ids = np.concatenate(ids)
        identities.append(all_ids)
        weights.append(rng.dirichlet(np.ones(len(all_ids)) * 1.5))
    popularity = 1.0 / np.arange(1, n + 1) ** 0.9
    popularity = rng.permutation(popularity / popularity.sum())
    return Households(identities, weights, popularity, countries, surnames, first_id)


def buyers(w: World, events: Events, n: int, households: Households) -> np.ndarray:
    """n buyers and their payments; returns the buyers' party numbers."""
    rng = w.rng
    countries = residence(w, n, cal.BUYER_ABROAD_SHARE)
    origins = np.array([COUNTRIES[c].origin for c in countries], dtype=object)
    sigma = cal.BUYER_PAYMENTS_SIGMA
    mu = np.log(cal.BUYER_PAYMENTS_MEAN) - sigma ** 2 / 2
    payments = np.clip(np.round(rng.lognormal(mu, sigma, size=n)), 1,
                       cal.BUYER_PAYMENTS_MAX).astype(np.int64)
    # Prolific buyers pay at intervals under 20 days (AIC 2021): the active span follows
    # the count, at a typical gap of 4-25 days, within the window.
    gap = rng.uniform(4, 25, size=n)
    span = np.minimum(w.days - 1, np.maximum(3, payments * gap)).astype(np.int64)
    start = w.first_day + (rng.random(n) * (w.days - span)).astype(np.int64)
    switch = start + (rng.uniform(0.3, 0.8, size=n) * span).astype(np.int64)
    party = add_senders(w, countries, origins, role="buyer", population="buyer",
                        sex=sexes(w, n, cal.BUYER_MALE_SHARE),
                        ages=ages(w, n, cal.BUYER_AGE_MEAN, cal.BUYER_AGE_SD,
                                  *cal.BUYER_AGE_RANGE),
                        switch_share=cal.BUYER_SWITCH_SHARE, switch_day=switch)
    receiver = _beneficiaries(w, payments, households)

    owner = np.repeat(np.arange(n), payments)
    total = len(owner)
    escalates = rng.random(n) < cal.BUYER_ESCALATE_SHARE
    u = rng.random(total)
    # Escalation: payments get denser (density rising with time) and larger.
    u = np.where(escalates[owner], np.sqrt(u), u)
    day = start[owner] + (u * span[owner]).astype(np.int64)
    night = rng.random(n) < cal.BUYER_NIGHT_SHARE
    habit = np.where(night[owner], rng.choice([0, 1], size=total, p=[0.85, 0.15]),
                     rng.choice([0, 1, 2], size=total, p=[0.15, 0.45, 0.4]))
    clock = mixed_clock(rng, habit, ("night", "evening", "daytime"))
    base = np.clip(rng.lognormal(np.log(cal.BUYER_EUR_MEDIAN), cal.BUYER_EUR_SIGMA, size=n),
                   *cal.BUYER_EUR_RANGE)
    growth = np.where(escalates, rng.uniform(0.5, 2.0, size=n), 0.0)
    eur = base[owner] * (1 + growth[owner] * u) * rng.lognormal(0, 0.2, size=total)
    eur = np.clip(eur, *cal.BUYER_EUR_RANGE)
    rounds = rng.random(n) < cal.BUYER_ROUND_SHARE
    is_round = rng.random(total) < np.where(rounds[owner], 0.9, 0.3)
    unit = np.where(is_round, rng.choice([5.0, 10.0], size=total), 0.0)
    cover = rng.random(n) < cal.BUYER_COVER_SHARE
    message = draw_messages(rng, total, COVER, np.where(cover[owner], 0.4, 0.04))
    plain = (message == 0) & (rng.random(total) < 0.05)
    message[plain] = draw_messages(rng, int(plain.sum()), BUYER_PLAIN, 1.0)
    events.add(sender=party[owner], receiver=receiver, day=day, clock=clock,
               eur=round_to(eur, np.zeros(total)), round_unit=unit, message=message,
               population="buyer")
    return party


def _beneficiaries(w: World, payments: np.ndarray, households: Households) -> np.ndarray:
    """For each payment, the identity paid: 1-3 households, 1-6 identities per buyer."""
    rng = w.rng
    out = np.empty(int(payments.sum()), dtype=np.int64)
    at = 0
    n_h = len(households.identities)
    for count in payments:
        k_h = min(n_h, int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15])))
        chosen = rng.choice(n_h, size=k_h, replace=False, p=households.popularity)
        pool = np.concatenate([households.identities[h] for h in chosen])
        pool_w = np.concatenate([households.weights[h] / k_h for h in chosen])
        k_i = min(len(pool), max(k_h, int(rng.integers(cal.BUYER_IDENTITIES[0],
                                                       cal.BUYER_IDENTITIES[1] + 1))))
        picked = rng.choice(len(pool), size=k_i, replace=False, p=pool_w / pool_w.sum())
        prefs = rng.dirichlet(np.ones(k_i))
        out[at:at + count] = pool[picked][rng.choice(k_i, size=int(count), p=prefs)]
        at += int(count)
    return out
