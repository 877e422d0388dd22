"""Transfers as they are drawn: who paid whom, when (sender's wall clock), how much, why.

The populations append blocks of arrays here; nothing is a Python object per transfer.
Amounts are drawn as a value in EUR plus a rounding habit; the currency of the sender and
the day's ECB rate turn them into the amount written (world.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from filature.synth.clock import DAY
from filature.synth.people import POPULATIONS

# Index 0 is "no message". Cover stories after AUSTRAC, FATF and ACAMS (typology.md).
COVER = ("school", "school fees", "uniform", "medical bills", "medicine", "for rent", "load",
         "birthday", "gift", "family support", "allowance", "pour l'école", "cadeau",
         "anniversaire", "baon", "tuition", "hospital", "frais médicaux")
# Families write the same words as the cover stories: that is why they work as cover.
FAMILY = ("pour maman", "for mama", "padala", "monthly support", "pour la famille",
          "for the kids", "allowance", "rent", "school fees", "tuition", "for papa",
          "groceries", "aide famille", "pour les enfants", "electricity bill", "school",
          "uniform", "medicine", "baon", "family support", "pour l'école", "medical bills",
          "hospital", "frais médicaux", "for rent")
FAMILY_EXTRA = ("birthday", "happy birthday", "load", "Christmas", "gift", "anniversaire",
                "cadeau", "bon anniversaire")
BUSINESS = ("VA services", "salary", "freelance design", "web development", "monthly retainer",
            "services rendered", "data entry", "customer support hours", "consulting")
INVOICE_PREFIXES = ("INV-", "Facture ", "Invoice #", "Payroll wk ")
ROMANCE = ("for you", "gift", "rent", "medical", "hospital bills", "your phone", "birthday",
           "love", "pour toi", "cadeau", "help", "loyer", "for your mother", "ticket")
CHARITY = ("parrainage", "sponsorship", "don mensuel", "monthly donation",
           "child sponsorship", "parrainage scolaire")
OCCASIONAL = ("gift", "cadeau", "aide", "help", "remboursement", "vacances", "birthday",
              "mariage", "pour toi", "dette", "merci", "thanks", "for you")
BUYER_PLAIN = ("for you", "help", "thanks", "merci")

MESSAGES: tuple[str, ...] = ("",) + tuple(dict.fromkeys(
    COVER + FAMILY + FAMILY_EXTRA + BUSINESS + INVOICE_PREFIXES + ROMANCE + CHARITY
    + OCCASIONAL + BUYER_PLAIN))
_INDEX = {m: i for i, m in enumerate(MESSAGES)}


def message_ids(words: tuple[str, ...]) -> np.ndarray:
    """Indices in ``MESSAGES`` of a group of descriptions."""
    return np.array([_INDEX[w] for w in words], dtype=np.int64)


def draw_messages(rng: np.random.Generator, n: int, words: tuple[str, ...],
                  share: float | np.ndarray) -> np.ndarray:
    """A description from ``words`` on a ``share`` of transfers, none on the others."""
    out = rng.choice(message_ids(words), size=n)
    out[rng.random(n) >= share] = 0
    return out


@dataclass
class Events:
    """Every transfer drawn so far, in blocks of equal-length arrays."""

    blocks: list[dict[str, np.ndarray]] = field(default_factory=list)

    def add(self, *, sender: np.ndarray, receiver: np.ndarray, day: np.ndarray,
            clock: np.ndarray, eur: np.ndarray, round_unit: np.ndarray | float,
            message: np.ndarray | int, population: str,
            number: np.ndarray | None = None, force: bool = False) -> None:
        """Append transfers; ``number`` completes invoice-like messages (``INV-`` + number)."""
        n = len(sender)
        if n == 0 and not force:
            return
        self.blocks.append({
            "sender": np.asarray(sender, dtype=np.int64),
            "receiver": np.asarray(receiver, dtype=np.int64),
            "local": np.asarray(day, dtype=np.int64) * DAY + np.asarray(clock, dtype=np.int64),
            "eur": np.asarray(eur, dtype=np.float64),
            "round_unit": np.broadcast_to(np.asarray(round_unit, dtype=np.float64), (n,)),
            "message": np.broadcast_to(np.asarray(message, dtype=np.int64), (n,)),
            "number": (np.full(n, -1, dtype=np.int64) if number is None
                       else np.asarray(number, dtype=np.int64)),
            "population": np.full(n, POPULATIONS.index(population), dtype=np.int8),
        })

    def freeze(self) -> dict[str, np.ndarray]:
        """One array per field over every block (empty arrays for a world with none)."""
        if not self.blocks:
            empty = np.empty(0, dtype=np.int64)
            self.add(sender=empty, receiver=empty, day=empty, clock=empty, eur=empty,
                     round_unit=empty.astype(float), message=empty, population="occasional",
                     force=True)
        return {k: np.concatenate([b[k] for b in self.blocks]) for k in self.blocks[0]}


def repeat_index(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, rank): owner i repeated counts[i] times, rank 0..counts[i]-1 within it."""
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    rank = np.arange(len(owner)) - np.repeat(starts, counts)
    return owner, rank


def round_to(values: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """Round to a whole number of ``unit`` (0: to the cent), never below one unit."""
    out = np.round(values, 2)
    r = unit > 0
    out[r] = np.maximum(np.round(values[r] / unit[r]), 1) * unit[r]
    return out
