"""A self-contained HTML summary of the latest screening: opens anywhere, needs no network."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
from jinja2 import Environment, PackageLoader, select_autoescape

from filature.exports.lists import read_list
from filature.indicators.pack import load_pack
from filature.scoring.run import latest_run_id
from filature.store.query import first_row

WORDS = {
    "fr": {"title": "Filature : synthèse du criblage", "loaded": "Données chargées",
           "files": "fichiers", "transfers": "virements", "quarantined": "en quarantaine",
           "run": "Criblage", "capacity": "capacité", "senders": "expéditeurs",
           "targets": "Cibles", "facilitators": "Facilitateurs probables",
           "rank": "Rang", "score": "Score", "name": "Nom", "country": "Pays",
           "count": "Virements", "total": "Total EUR", "why": "Principales raisons",
           "receivers": "Bénéficiaires", "payers": "Payeurs", "cities": "Villes",
           "pack": "Indicateurs appliqués", "source": "Source", "weight": "Poids",
           "generated": "Généré le", "showing": "premières lignes sur",
           "aliases": "Peut-être la même personne :",
           "note": "Document de travail : un score oriente l'enquête, il ne prouve rien."},
    "en": {"title": "Filature: screening summary", "loaded": "Data loaded", "files": "files",
           "transfers": "transfers", "quarantined": "quarantined", "run": "Screening run",
           "capacity": "capacity", "senders": "senders", "targets": "Targets",
           "facilitators": "Likely facilitators", "rank": "Rank", "score": "Score",
           "name": "Name", "country": "Country", "count": "Transfers", "total": "Total EUR",
           "why": "Main reasons", "receivers": "Receivers", "payers": "Payers",
           "cities": "Cities", "pack": "Indicators applied", "source": "Source",
           "weight": "Weight", "generated": "Generated on", "showing": "first rows of",
           "aliases": "Possibly the same person:",
           "note": "Working document: a score directs an investigation, it proves nothing."},
}


def render_summary(con: duckdb.DuckDBPyConnection, language: str = "fr",
                   top: int = 50) -> str:
    """The summary page as one HTML string (inline CSS, no script, no external link)."""
    run_id = latest_run_id(con)
    run = first_row(con, "SELECT run_id, started_at, capacity, pack_id, pack_version, "
                          "transfers, senders, receivers FROM screening_runs WHERE run_id = ?",
                    [run_id])
    loaded = first_row(con, "SELECT count(*), coalesce(sum(rows_added), 0), "
                            "coalesce(sum(rows_quarantined), 0) FROM source_files")
    t_cols, t_rows = read_list(con, "targets", run_id)
    f_cols, f_rows = read_list(con, "facilitators", run_id)
    env = Environment(loader=PackageLoader("filature.exports", "templates"),
                      autoescape=select_autoescape())
    return env.get_template("summary.html.j2").render(
        w=WORDS.get(language, WORDS["fr"]), lang=language, run=run, loaded=loaded,
        targets=[dict(zip(t_cols, r, strict=True)) for r in t_rows[:top]],
        target_total=len(t_rows),
        facilitators=[dict(zip(f_cols, r, strict=True)) for r in f_rows[:top]],
        facilitator_total=len(f_rows), pack=load_pack(),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def write_summary(con: duckdb.DuckDBPyConnection, out: Path, language: str = "fr") -> Path:
    out.write_text(render_summary(con, language), encoding="utf-8")
    return out
