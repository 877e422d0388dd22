"""A stress world: the synthetic world with other shares of every confounder, to check that
the screening does not know its generator's numbers.

    .venv/bin/python benchmarks/stress_world.py OUT --senders 59524 --seed 23 --buyers 300

Compared with `filature/synth/calibration.py`: more diaspora families (22% of senders
instead of 15.5%), half of them paying relatives of another surname (instead of a fifth),
a quarter skipping months (instead of a tenth); online relationships and businesses 4% each
(instead of 1.5% and 2%); fewer buyers paying at night (35% instead of 60%), in round sums
(50% instead of 75%) or with cover stories (20% instead of 45%); typos twice as frequent.
The numbers are changed in memory for this process only, then `generate_world` runs as
`filature synth` would.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import filature.synth.calibration as cal
from filature.synth import generate_world

STRESS = {
    "FAMILY_SHARE": 0.22, "FAMILY_OTHER_SURNAME": 0.5, "FAMILY_SKIP_MONTH": 0.25,
    "ROMANCE_SHARE": 0.04, "BUSINESS_SHARE": 0.04, "BUYER_NIGHT_SHARE": 0.35,
    "BUYER_ROUND_SHARE": 0.5, "BUYER_COVER_SHARE": 0.2, "TYPO_RATE": 0.04,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--senders", type=int, required=True)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--buyers", type=int, default=None)
    args = parser.parse_args()
    for name, value in STRESS.items():
        if not hasattr(cal, name):
            raise SystemExit(f"calibration has no {name}: update STRESS")
        setattr(cal, name, value)
    generate_world(args.out, senders=args.senders, buyers=args.buyers, seed=args.seed)


if __name__ == "__main__":
    main()
