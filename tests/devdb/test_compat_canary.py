"""Canaries for myagent.devdb.compat, with raw pymongo (no Django).

Each case is an aggregation django-mongodb-backend relies on, with the result a
real mongod gives. With the compat layer the dev server must give that result;
without it SecantusDB must still get it wrong. When SecantusDB fixes a
deviation upstream, ``test_secantus_still_deviates`` fails for that case: delete
the matching patch from ``myagent/devdb/compat.py``.

Run alone with:
    .venv/bin/python -m pytest -p no:django --noconftest tests/devdb -q
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import OperationFailure

from myagent.devdb.launcher import start_server

Doc = dict[str, Any]

AUTHORS: list[Doc] = [
    {"_id": 1, "name": "Ann", "email": "ann@example.com"},
    {"_id": 2, "name": "Bob", "email": "bob@example.com"},
]
BOOKS: list[Doc] = [
    {"_id": 10, "title": "Zeta", "author_id": 1, "meta": {"tags": ["x"]}},
    {"_id": 11, "title": "Alpha", "author_id": 2, "meta": {}},
]
# What django-mongodb-backend emits for a join: $lookup, then $unwind.
JOIN_AUTHOR: list[Doc] = [
    {"$lookup": {"from": "authors", "localField": "author_id", "foreignField": "_id", "as": "a"}},
    {"$unwind": "$a"},
]


@dataclass(frozen=True)
class Case:
    id: str
    pipeline: list[Doc]
    mongod_result: list[Doc]
    # The patch in myagent/devdb/compat.py that this case covers.
    patch: str
    collection: str = "books"


CASES = [
    Case(
        id="values_list across FK: nested inclusion after $lookup",
        pipeline=[*JOIN_AUTHOR, {"$project": {"title": 1, "a": {"name": 1}}}, {"$sort": {"title": 1}}],
        mongod_result=[
            {"_id": 11, "title": "Alpha", "a": {"name": "Bob"}},
            {"_id": 10, "title": "Zeta", "a": {"name": "Ann"}},
        ],
        patch="1. nested field specs ($project)",
    ),
    Case(
        id="select_related + order_by across FK: nested $addFields keeps the joined row",
        pipeline=[
            *JOIN_AUTHOR,
            {"$addFields": {"a": {"name": "$a.name"}}},
            {"$sort": {"a.name": -1}},
            {"$project": {"title": 1, "a": 1}},
        ],
        mongod_result=[
            {"_id": 11, "title": "Alpha", "a": {"_id": 2, "name": "Bob", "email": "bob@example.com"}},
            {"_id": 10, "title": "Zeta", "a": {"_id": 1, "name": "Ann", "email": "ann@example.com"}},
        ],
        patch="1. nested field specs ($addFields)",
    ),
    Case(
        id="nested exclusion",
        pipeline=[{"$match": {"_id": 10}}, {"$project": {"meta": {"tags": 0}}}],
        mongod_result=[{"_id": 10, "title": "Zeta", "author_id": 1, "meta": {}}],
        patch="1. nested field specs ($project)",
    ),
    Case(
        id="collection-less $unionWith with $documents",
        pipeline=[
            {"$match": {"_id": 10}},
            {"$project": {"title": 1}},
            {"$unionWith": {"pipeline": [{"$documents": [{"title": "extra"}]}]}},
        ],
        mongod_result=[{"_id": 10, "title": "Zeta"}, {"title": "extra"}],
        patch="2. collection-less $unionWith",
    ),
    Case(
        id="JSONField has_key: $type of a missing $getField",
        pipeline=[
            {"$match": {"$expr": {"$ne": [{"$type": {"$getField": {"input": "$meta", "field": "tags"}}}, "missing"]}}},
            {"$project": {"title": 1}},
        ],
        mongod_result=[{"_id": 10, "title": "Zeta"}],
        patch="3. $type of a missing expression value",
    ),
]


def _open_database(*, compat: bool) -> Iterator[Database[Doc]]:
    server = start_server(memory=True, compat=compat)
    client: MongoClient[Doc] = MongoClient(server.uri)
    database = client["canary"]
    database["authors"].insert_many(AUTHORS)
    database["books"].insert_many(BOOKS)
    yield database
    client.close()
    server.stop()


@pytest.fixture(scope="module")
def compat_db() -> Iterator[Database[Doc]]:
    yield from _open_database(compat=True)


@pytest.fixture(scope="module")
def raw_db() -> Iterator[Database[Doc]]:
    yield from _open_database(compat=False)


def _aggregate(database: Database[Doc], case: Case) -> list[Doc]:
    return list(database[case.collection].aggregate(case.pipeline))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_compat_layer_gives_mongod_result(compat_db: Database[Doc], case: Case) -> None:
    assert _aggregate(compat_db, case) == case.mongod_result


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_secantus_still_deviates(raw_db: Database[Doc], case: Case) -> None:
    try:
        result = _aggregate(raw_db, case)
    except OperationFailure:
        return  # still rejected: the patch is still needed
    assert result != case.mongod_result, (
        f"SecantusDB now matches mongod here: delete patch '{case.patch}' from myagent/devdb/compat.py"
    )


def test_flat_specs_are_left_to_secantus(compat_db: Database[Doc]) -> None:
    """The patches only take over nested/dotted specs; flat ones keep SecantusDB's behaviour."""
    pipeline: list[Doc] = [{"$match": {"_id": 10}}, {"$project": {"_id": 0, "title": 1, "n": {"$literal": {"a": 1}}}}]
    assert list(compat_db["books"].aggregate(pipeline)) == [{"title": "Zeta", "n": {"a": 1}}]


def test_empty_sub_document_is_refused_like_mongod(compat_db: Database[Doc]) -> None:
    # mongod refuses {"meta": {}} here; code that relied on SecantusDB accepting it
    # would break in production.
    with pytest.raises(OperationFailure, match="empty object is not a valid value"):
        list(compat_db["books"].aggregate([{"$addFields": {"meta": {}}}]))
