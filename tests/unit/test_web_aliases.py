"""The target pages say when a sender may be another's second record (``scoring.aliases``):
the listed target names him, and his own page says where his line went."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pyarrow as pa
import pytest

from filature.resolve.exact import resolve_exact
from filature.scoring.run import run_screening
from filature.store import open_store
from tests.builders import corridor_world
from tests.cases_support import WebClient


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A store where Marc Dubois of Lyon is listed once, his name-and-town record folded."""
    w = corridor_world()
    for k in range(6):  # his full record: birth date and phone
        w.send("marc dubois", ["maria santos", "liza cruz"][k % 2], 25, day=k * 13, hour=23,
               birth="1970-01-01", phone="+33612345678", sender_city="Lyon")
    for k in range(3):  # only his name and his town
        w.send("marc dubois", "joy reyes", 30, day=5 + k * 13, hour=23, sender_city="Lyon")
    path = tmp_path_factory.mktemp("aliases") / "f.duckdb"
    con = open_store(path)
    columns = [d[0] for d in con.execute("SELECT * FROM transfers LIMIT 0").description]
    con.register("rows", pa.table({c: [r[i] for r in w.rows] for i, c in enumerate(columns)}))
    con.execute("INSERT INTO transfers SELECT * FROM rows")
    resolve_exact(con)
    report = run_screening(con, capacity=8)
    target, alias = con.execute("SELECT target_id, alias_id FROM target_aliases WHERE run_id = ?",
                                [report.run_id]).fetchone()
    con.close()
    return path, target, alias


@pytest.mark.parametrize(("language", "page_of", "heading", "says"), [
    # the listed target names his possible second record...
    ("fr", "target", "Peut-être la même personne (non confirmé)",
     "nommé dans la ligne de cette cible"),
    # ... and the folded sender's page says where his line went
    ("en", "alias", "Possibly the same person (not confirmed)", "takes no line of his own"),
])
def test_both_pages_say_they_may_be_one_person(store, web_client: WebClient, language, page_of,
                                               heading, says):
    path, target, alias = store
    own, other = (target, alias) if page_of == "target" else (alias, target)
    with web_client(path) as client:
        client.get(f"/lang/{language}")
        page = html.unescape(client.get(f"/targets/{own}").text)
    assert heading in page and says in page and f'href="/targets/{other}"' in page


def test_a_sender_without_a_possible_alias_shows_no_such_note(store, web_client: WebClient):
    path, _, _ = store
    with web_client(path) as client:
        queue = client.get("/targets").text
        other = next(i for i in re.findall(r'href="/targets/([^"?#]+)"', queue)
                     if i not in store[1:])
        page = client.get(f"/targets/{other}").text
    assert 'id="possible-aliases"' not in page


def test_the_queue_tags_the_folded_sender_instead_of_listing_him(store, web_client: WebClient):
    path, target, alias = store
    with web_client(path) as client:
        rows = html.unescape(client.get("/targets").text).split("<tr")
    (own,) = [r for r in rows if f'href="/targets/{alias}"' in r]
    assert "dans la ligne d'une cible" in own and ">cible<" not in own
