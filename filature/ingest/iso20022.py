"""Reading ISO 20022 credit transfers (pain.001, pacs.008) as canonical rows, streamed.

A bank exports its cross-border transfers as customer credit transfer initiations
(``pain.001.001.03`` / ``.09``) or FI-to-FI customer credit transfers (``pacs.008.001.08``).
Each transaction (``CdtTrfTxInf``) becomes one row of the canonical columns, as text, with
the source line of its start tag, so the same rules, quarantine, idempotence and provenance
apply as to a CSV row. Elements are matched by local name, so every version and namespace
reads; where several elements can carry a value, ``SOURCES`` lists them in order of
preference. The file is parsed with ``lxml.etree.iterparse`` and each transaction is cleared
once read: memory holds one batch of rows, not the document.

Safety: a document with a DOCTYPE is refused (ISO 20022 messages never carry one; it is the
vehicle of entity-expansion "XML bombs" and external entities), entities are never resolved
and nothing is fetched from the network. A file that is not well-formed XML is refused with
its line; since the load is one transaction, nothing of it is loaded.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
from lxml import etree

from filature.errors import InputError
from filature.ingest.layout import CANONICAL, Layout
from filature.ingest.readers import SourceColumns

Progress = Callable[[int, int], None]
FORMAT = "iso20022"
# Rows per batch: smaller than the CSV readers' since each row is held as a dict until then.
BATCH_ROWS = 20_000
XML_SUFFIXES = {".xml"}
# The message bodies read, by local name: a customer initiation and an interbank transfer.
MESSAGES = {"CstmrCdtTrfInitn": "pain.001", "FIToFICstmrCdtTrf": "pacs.008"}
TRANSACTION = "CdtTrfTxInf"
PAYMENT_INFO = "PmtInf"      # pain.001 only: debtor, debtor agent and date shared by its txs
GROUP_HEADER = "GrpHdr"
NOT_PROVIDED = "NOTPROVIDED"  # the ISO convention for an absent end-to-end reference

# Canonical column -> paths of local names, first one present wins. A path is relative to
# the transaction, whose view also holds its payment information block (pain.001) and, under
# ``GrpHdr/``, the message's group header. ``.03`` writes ``BIC`` where later versions write
# ``BICFI``; ``ReqdExctnDt`` is a plain date in ``.03`` and a ``Dt``/``DtTm`` choice in ``.09``.
TRANSACTION_SOURCES: dict[str, tuple[str, ...]] = {
    "transfer_id": ("PmtId/EndToEndId", "PmtId/TxId", "PmtId/UETR", "PmtId/InstrId"),
    # When the sender paid: the bank's acceptance time, the requested execution time, then
    # the message's creation time; a bare date (midnight) only as a last resort, since it
    # would read as a night-time transfer.
    "sent_at": ("AccptncDtTm", "ReqdExctnDt/DtTm", "GrpHdr/CreDtTm", "IntrBkSttlmDt",
                "GrpHdr/IntrBkSttlmDt", "ReqdExctnDt/Dt", "ReqdExctnDt"),
    # The amount the sender instructed, in its own currency, before the interbank one.
    "amount": ("Amt/InstdAmt", "InstdAmt", "Amt/EqvtAmt/Amt", "IntrBkSttlmAmt"),
    "provider": ("InstgAgt/FinInstnId/BICFI", "GrpHdr/InstgAgt/FinInstnId/BICFI",
                 "DbtrAgt/FinInstnId/BICFI", "DbtrAgt/FinInstnId/BIC",
                 "GrpHdr/InitgPty/Id/OrgId/AnyBIC", "GrpHdr/InitgPty/Id/OrgId/BICOrBEI"),
    "payout_location": ("CdtrAgt/BrnchId/Nm", "CdtrAgt/FinInstnId/Nm",
                         "CdtrAgt/FinInstnId/BICFI", "CdtrAgt/FinInstnId/BIC"),
}
PARTY: dict[str, tuple[str, ...]] = {  # sender_* from Dbtr, receiver_* from Cdtr
    "name": ("Nm",),
    "country": ("PstlAdr/Ctry", "CtryOfRes"),
    "city": ("PstlAdr/TwnNm",),
    "birth_date": ("Id/PrvtId/DtAndPlcOfBirth/BirthDt",),
    "id_number": ("Id/PrvtId/Othr/Id",),
    "phone": ("CtctDtls/MobNb", "CtctDtls/PhneNb"),
    "email": ("CtctDtls/EmailAdr",),
}


def _party_sources() -> dict[str, tuple[str, ...]]:
    """sender_* from the debtor (``Dbtr``), receiver_* from the creditor (``Cdtr``)."""
    return {f"{side}_{what}": tuple(f"{party}/{p}" for p in paths)
            for side, party in (("sender", "Dbtr"), ("receiver", "Cdtr"))
            for what, paths in PARTY.items() if f"{side}_{what}" in CANONICAL}


SOURCES = {**TRANSACTION_SOURCES, **_party_sources()}
CHANNEL = "bank"
COLUMNS = tuple(c for c in CANONICAL if c in SOURCES or c in ("currency", "channel",
                                                               "sender_address", "message"))
SAFE_PARSER = {"resolve_entities": False, "no_network": True, "load_dtd": False,
               "huge_tree": False, "remove_comments": True, "remove_pis": True}

View = dict[str, list[str]]


class IsoColumns(SourceColumns):
    """The canonical columns an ISO 20022 file yields (every one it can map, as text)."""


def is_iso20022(path: Path, source_format: str | None) -> bool:
    """Told ``--format iso20022``, or a ``.xml`` file, or a file whose first byte opens a tag."""
    if source_format is not None:
        return source_format == FORMAT
    if path.suffix.lower() in XML_SUFFIXES:
        return True
    with open(path, "rb") as f:
        head = f.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")


def _local(tag: object) -> str | None:
    return tag.rpartition("}")[2] if isinstance(tag, str) else None


def _events(source: IO[bytes], name: str, *, tags: list[str],
            events: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    """``iterparse`` with the safe settings; a DOCTYPE or broken XML is an ``InputError``."""
    context = etree.iterparse(source, events=events, tag=[f"{{*}}{t}" for t in tags],
                              **SAFE_PARSER)
    checked = False
    try:
        for event, element in context:
            if not checked:
                _refuse_doctype(element, name)
                checked = True
            yield event, element
        if not checked and context.root is not None:
            _refuse_doctype(context.root, name)
    except etree.XMLSyntaxError as e:
        raise InputError(f"not well-formed XML: {e.msg}; nothing was loaded", file=name,
                         line=e.lineno) from e


def _refuse_doctype(element: Any, name: str) -> None:
    info = element.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise InputError("XML with a DOCTYPE is refused: ISO 20022 messages carry none, and it "
                         "can declare entities (entity expansion, external entities); "
                         "nothing was loaded", file=name)


def iso_columns(path: Path, layout: Layout) -> IsoColumns:
    """Check the head of the file: well-formed, no DOCTYPE, a pain.001 or pacs.008 message."""
    found = False
    with open(path, "rb") as f:
        for _ in _events(f, path.name, tags=list(MESSAGES), events=("start",)):
            found = True
            break
    if not found:
        raise InputError("no ISO 20022 credit transfer found (expected a pain.001 "
                         "<CstmrCdtTrfInitn> or a pacs.008 <FIToFICstmrCdtTrf>); "
                         "nothing was loaded", file=path.name)
    columns = [c for c in COLUMNS if c not in layout.defaults]
    return IsoColumns(headers=columns, picked={c: c for c in columns}, delimiter="")


def _flatten(element: Any, prefix: str, view: View, skip: str | None = None) -> View:
    """Every text and ``Ccy`` attribute below ``element``, by path of local names."""
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        local = tag[tag.find("}") + 1:]
        if local == skip:
            continue
        path = prefix + local
        text = child.text
        if text is not None and (text := text.strip()):
            view.setdefault(path, []).append(text)
        currency = child.get("Ccy")
        if currency:
            view.setdefault(path + "@Ccy", []).append(currency.strip())
        if len(child):
            _flatten(child, path + "/", view)
    return view


def _first(view: View, paths: tuple[str, ...]) -> tuple[str | None, str | None]:
    """(value, path) of the first path present, skipping ``NOTPROVIDED`` references."""
    for path in paths:
        for value in view.get(path, ()):
            if value.upper() != NOT_PROVIDED:
                return value, path
    return None, None


def _address(view: View) -> str | None:
    """The street part: building number and street, or the unstructured address lines."""
    street = " ".join(view.get("Dbtr/PstlAdr/BldgNb", [])[:1] +
                      view.get("Dbtr/PstlAdr/StrtNm", [])[:1])
    return street or ", ".join(view.get("Dbtr/PstlAdr/AdrLine", [])) or None


def transfer_row(view: View) -> dict[str, str | None]:
    """One transaction's canonical values, as text, from its flattened view."""
    row = {column: _first(view, paths)[0] for column, paths in SOURCES.items()}
    amount_path = _first(view, SOURCES["amount"])[1]
    row["currency"] = view[amount_path + "@Ccy"][0] if (
        amount_path and amount_path + "@Ccy" in view) else None
    row["channel"] = CHANNEL
    row["sender_address"] = _address(view)
    row["message"] = " ".join(view.get("RmtInf/Ustrd", [])) or None
    return row


def transactions(path: Path, progress: Progress | None = None,
                 ) -> Iterator[tuple[int, dict[str, str | None]]]:
    """(line of ``<CdtTrfTxInf>``, canonical values) for every transaction, in file order."""
    size = path.stat().st_size
    header: View = {}
    payment: View | None = None
    with open(path, "rb") as f:
        tags = [*MESSAGES, GROUP_HEADER, PAYMENT_INFO, TRANSACTION]
        for event, element in _events(f, path.name, tags=tags, events=("start", "end")):
            local = _local(element.tag)
            if event == "start":
                if local in MESSAGES:
                    header, payment = {}, None
                continue
            if local == GROUP_HEADER:
                header = _flatten(element, "GrpHdr/", {})
            elif local == PAYMENT_INFO:
                payment = None
            elif local == TRANSACTION:
                parent = element.getparent()
                if payment is None and _local(parent.tag) == PAYMENT_INFO:
                    payment = _flatten(parent, "", {}, skip=TRANSACTION)
                view = {**header, **(payment or {})}
                view.update(_flatten(element, "", {}))
                yield element.sourceline, transfer_row(view)
                if progress:
                    progress(min(f.tell(), size), size)
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]


def iso_batches(path: Path, cols: SourceColumns,
                progress: Progress | None = None) -> Iterator[pa.Table]:
    """Arrow batches of text, one row per transaction, ``line`` first, as the readers give."""
    columns = list(cols.picked)
    rows = transactions(path, progress)
    while chunk := list(itertools.islice(rows, BATCH_ROWS)):
        yield pa.table({
            "line": pa.array([line for line, _ in chunk], pa.int64()),
            **{c: pa.array([row[c] for _, row in chunk], pa.string()) for c in columns},
        })
