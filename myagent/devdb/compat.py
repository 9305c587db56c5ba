"""SecantusDB compatibility layer -- FOR THE SECANTUSDB TEST/DEV SERVER ONLY.

NEVER imported by the app. Only ``myagent.devdb.launcher.serve`` imports this,
inside the ``python -m myagent.devdb serve`` process, so the GPL-2.0 SecantusDB
code stays a development/test dependency. Production talks to a real mongod,
which needs none of this.

SecantusDB 0.7.0b3's Python server deviates from mongod in ways that break
queries django-mongodb-backend emits (1, 2), plus one found while checking the
ORM against it (3). ``apply()`` monkeypatches the stage table
``secantus.aggregate._STAGES`` (the one dispatch point every pipeline, sub-pipeline
and pipeline-style update goes through) and the expression operator table:

1. ``$project`` / ``$addFields`` / ``$set`` read a nested document such as
   ``{"a": {"b": 1}}`` as a literal value. mongod reads a nested document whose
   first key is not an operator as a sub-specification, the same as the dotted
   form ``{"a.b": 1}``. django-mongodb-backend projects joined fields that way
   (``{"$project": {"x": 1, "<alias>": {"y": 1}}}`` after a ``$lookup``), so
   ``values_list("x", "fk__y")`` returned 1 instead of ``y`` and
   ``select_related().order_by("fk__y")`` replaced the joined row with ``{"y": ...}``.
   Specs with a nested or dotted field now run through a port of mongod's
   projection tree (``src/mongo/db/exec/projection_node.cpp``), which also fixes
   SecantusDB's dotted computed paths through arrays and scalars
   (``{"$addFields": {"a.b": 1}}`` over ``a: 5`` or ``a: [{...}]``). Flat specs stay
   on SecantusDB's own code.
2. ``$unionWith`` without ``coll`` whose pipeline starts with ``$documents`` is
   rejected; mongod accepts it. django-mongodb-backend 5.2.4 does not emit it,
   but newer releases wrap ``__in=<subquery>`` lookups in
   ``{"$unionWith": {"pipeline": [{"$documents": [...]}]}}``.
3. ``$type`` of an operator expression that evaluates to missing, such as
   ``{"$type": {"$getField": {"input": "$meta", "field": "k"}}}`` on
   ``meta: {}``, answers ``"object"`` (SecantusDB's internal MISSING marker
   leaks into ``$type``); mongod answers ``"missing"``. django-mongodb-backend's
   JSONField ``has_key`` / ``has_keys`` / ``has_any_keys`` and numeric key
   lookups depend on it, so ``filter(data__has_key="k")`` matched every row.
   Patched in the operator table ``secantus.expressions._OPS``.

``tests/devdb/test_compat_canary.py`` checks that each deviation still exists in
an unpatched server (``serve --no-compat``): when SecantusDB fixes one upstream,
its canary fails and the matching patch here should be deleted.
"""

from __future__ import annotations

import copy
import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import secantus
from secantus import aggregate, expressions
from secantus.aggregate import AggregateError, PipelineContext, apply_pipeline
from secantus.expressions import MISSING, evaluate_or_missing

logger = logging.getLogger(__name__)

#: The SecantusDB release these patches were written and checked against.
TESTED_SECANTUS_VERSION = "0.7.0b3"

Doc = dict[str, Any]
StageHandler = Callable[[Any, list[Doc], PipelineContext], list[Doc]]


def apply() -> None:
    """Patch SecantusDB's stage and operator tables in this process. Idempotent."""
    if getattr(aggregate, "_myagent_compat_applied", False):
        return
    aggregate._myagent_compat_applied = True
    if secantus.__version__ != TESTED_SECANTUS_VERSION:
        # Still patch: the canary tests say whether each patch is still needed.
        logger.warning(
            "compat layer was written for SecantusDB %s, running %s; run tests/devdb",
            TESTED_SECANTUS_VERSION,
            secantus.__version__,
        )
    stages: dict[str, StageHandler] = aggregate._STAGES
    for name, patch in _PATCHES.items():
        stages[name] = functools.partial(patch, original=stages[name])
    operators: dict[str, Callable[[Any, Any], Any]] = expressions._OPS
    operators["$type"] = functools.partial(_patched_type, original=operators["$type"])


# --- 1. nested field specs --------------------------------------------------------

INCLUDE, EXCLUDE, COMPUTE = "include", "exclude", "compute"


@dataclass
class _Node:
    """One level of a projection tree, as in mongod's ``ProjectionNode``."""

    included: set[str] = field(default_factory=set)
    excluded: set[str] = field(default_factory=set)
    computed: dict[str, Any] = field(default_factory=dict)
    children: dict[str, _Node] = field(default_factory=dict)
    # mongod applies computed fields and children in spec order.
    order: list[str] = field(default_factory=list)
    has_computed: bool = False

    def child(self, name: str) -> _Node:
        if name not in self.children:
            self._reject_collision(name)
            self.children[name] = _Node()
            self.order.append(name)
        return self.children[name]

    def add_leaf(self, name: str, kind: str, value: Any) -> None:
        self._reject_collision(name)
        if kind == INCLUDE:
            self.included.add(name)
        elif kind == EXCLUDE:
            self.excluded.add(name)
        else:
            self.computed[name] = value
            self.order.append(name)

    def _reject_collision(self, name: str) -> None:
        taken = (self.children, self.included, self.excluded, self.computed)
        if any(name in names for names in taken):
            raise AggregateError(f"Path collision at {name}", code=31250)


@dataclass
class _Tree:
    root: _Node
    #: (dotted path, kind) in spec order; $project decides its mode from these.
    leaves: list[tuple[str, str]]


def _is_operator_document(value: Any) -> bool:
    # mongod decides by the FIRST key: {"$add": [...]} is an expression,
    # {"b": 1} is a sub-specification.
    return isinstance(value, Mapping) and bool(value) and str(next(iter(value))).startswith("$")


def _is_sub_spec(value: Any) -> bool:
    return isinstance(value, Mapping) and not _is_operator_document(value)


def _needs_tree(spec: Mapping[str, Any]) -> bool:
    """Whether SecantusDB would get ``spec`` wrong: it has a nested or dotted field."""
    return any("." in key or _is_sub_spec(value) for key, value in spec.items())


def _kind(value: Any, stage: str) -> str:
    if stage == "$project" and isinstance(value, (bool, int, float)):
        # In $project any number or bool means include/exclude, never a literal.
        return INCLUDE if value else EXCLUDE
    return COMPUTE


def _build_tree(spec: Mapping[str, Any], stage: str) -> _Tree:
    tree = _Tree(root=_Node(), leaves=[])

    def add(path: list[str], value: Any) -> None:
        if _is_sub_spec(value):
            if not value:
                # mongod refuses {"a": {}} in both stages; {"$literal": {}} is the
                # way to set an empty document.
                raise AggregateError(
                    "an empty object is not a valid value. Found empty object at path " + ".".join(path),
                    code=40180,
                )
            for key, sub_value in value.items():
                add(path + key.split("."), sub_value)
            return
        if any(not part or part.startswith("$") for part in path):
            raise AggregateError(f"Invalid field path '{'.'.join(path)}'", code=16410)
        kind = _kind(value, stage)
        nodes = [tree.root]
        for part in path[:-1]:
            nodes.append(nodes[-1].child(part))
        nodes[-1].add_leaf(path[-1], kind, value)
        if kind == COMPUTE:
            for node in nodes:
                node.has_computed = True
        tree.leaves.append((".".join(path), kind))

    for key, value in spec.items():
        add(key.split("."), value)
    return tree


def _include(node: _Node, source: Mapping[str, Any]) -> Doc:
    """mongod ``applyProjections`` for an inclusion node: keep only named paths."""
    out: Doc = {}
    for name, value in source.items():
        if name in node.included:
            out[name] = copy.deepcopy(value)
        elif name in node.children:
            out[name] = _include_value(node.children[name], value)
    return out


def _include_value(node: _Node, value: Any) -> Any:
    if isinstance(value, Mapping):
        return _include(node, value)
    if isinstance(value, list):
        # MISSING elements stay until the end: a computed field turns each one
        # into a document, exactly as mongod does with its missing Values.
        return [_include_value(node, element) for element in value]
    return MISSING


def _exclude(node: _Node, source: Mapping[str, Any]) -> Doc:
    out: Doc = {}
    for name, value in source.items():
        if name in node.excluded:
            continue
        child = node.children.get(name)
        out[name] = copy.deepcopy(value) if child is None else _exclude_value(child, value)
    return out


def _exclude_value(node: _Node, value: Any) -> Any:
    if isinstance(value, Mapping):
        return _exclude(node, value)
    if isinstance(value, list):
        return [_exclude_value(node, element) for element in value]
    return copy.deepcopy(value)


def _compute(node: _Node, root: Mapping[str, Any], out: Doc, variables: dict[str, Any]) -> None:
    """mongod ``applyExpressions``: every expression reads the stage's INPUT doc."""
    for name in node.order:
        child = node.children.get(name)
        if child is None:
            value = evaluate_or_missing(node.computed[name], root, variables)
        elif child.has_computed:
            value = _compute_value(child, root, out.get(name, MISSING), variables)
        else:
            continue
        if value is MISSING:
            out.pop(name, None)
        else:
            out[name] = value


def _compute_value(node: _Node, root: Mapping[str, Any], value: Any, variables: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_compute_value(node, root, element, variables) for element in value]
    # A scalar or missing parent becomes a document of the computed fields:
    # {"a.b": 1} over {a: 5} gives {a: {b: 1}}.
    sub_doc: Doc = dict(value) if isinstance(value, Mapping) else {}
    _compute(node, root, sub_doc, variables)
    return sub_doc


def _drop_missing(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_missing(v) for k, v in value.items() if v is not MISSING}
    if isinstance(value, list):
        return [_drop_missing(v) for v in value if v is not MISSING]
    return value


def _check_project_mode(tree: _Tree) -> bool:
    """True for an inclusion projection. Raises mongod's errors for a mixed one.

    Like mongod, the first field other than ``_id`` decides the mode.
    """
    inclusion: bool | None = None
    for path, kind in tree.leaves:
        if path == "_id" and kind != COMPUTE:
            continue
        if inclusion is None:
            inclusion = kind != EXCLUDE
        elif inclusion and kind == EXCLUDE:
            raise AggregateError(
                f"Invalid $project :: caused by :: Cannot do exclusion on field {path} in inclusion projection",
                code=31254,
            )
        elif not inclusion and kind == INCLUDE:
            raise AggregateError(
                f"Invalid $project :: caused by :: Cannot do inclusion on field {path} in exclusion projection",
                code=31253,
            )
        elif not inclusion and kind == COMPUTE:
            raise AggregateError(
                "Invalid $project :: caused by :: Cannot use expression other than $meta in exclusion projection",
                code=31310,
            )
    if inclusion is None:
        return ("_id", EXCLUDE) not in tree.leaves
    return inclusion


def _project_with_tree(spec: Mapping[str, Any], docs: list[Doc], ctx: PipelineContext) -> list[Doc]:
    tree = _build_tree(spec, "$project")
    root = tree.root
    if not _check_project_mode(tree):
        return [_exclude(root, doc) for doc in docs]
    # _id is kept by default unless the spec says anything about it.
    if not any(path == "_id" or path.startswith("_id.") for path, _ in tree.leaves):
        root.included.add("_id")
    root.excluded.discard("_id")
    out = []
    for doc in docs:
        projected = _include(root, doc)
        if root.has_computed:
            _compute(root, doc, projected, ctx.vars)
        out.append(_drop_missing(projected))
    return out


def _add_fields_with_tree(spec: Mapping[str, Any], docs: list[Doc], ctx: PipelineContext) -> list[Doc]:
    root = _build_tree(spec, "$addFields").root
    out = []
    for doc in docs:
        result = copy.deepcopy(doc)
        _compute(root, doc, result, ctx.vars)
        out.append(result)
    return out


def _patched_project(spec: Any, docs: list[Doc], ctx: PipelineContext, *, original: StageHandler) -> list[Doc]:
    if isinstance(spec, Mapping) and _needs_tree(spec):
        return _project_with_tree(spec, docs, ctx)
    return original(spec, docs, ctx)


def _patched_add_fields(spec: Any, docs: list[Doc], ctx: PipelineContext, *, original: StageHandler) -> list[Doc]:
    if isinstance(spec, Mapping) and _needs_tree(spec):
        return _add_fields_with_tree(spec, docs, ctx)
    return original(spec, docs, ctx)


# --- 2. collection-less $unionWith -------------------------------------------------


def _is_documents_union(spec: Any) -> bool:
    if not isinstance(spec, Mapping) or spec.get("coll") is not None:
        return False
    pipeline = spec.get("pipeline")
    return (
        isinstance(pipeline, list)
        and bool(pipeline)
        and isinstance(pipeline[0], Mapping)
        and "$documents" in pipeline[0]
    )


def _patched_union_with(spec: Any, docs: list[Doc], ctx: PipelineContext, *, original: StageHandler) -> list[Doc]:
    if not _is_documents_union(spec):
        return original(spec, docs, ctx)
    # A fresh context without a collection name: that is what makes $documents
    # legal, and mongod does not pass the outer pipeline's variables into
    # $unionWith either.
    sub_ctx = PipelineContext(storage=ctx.storage, db_name=ctx.db_name, collation=ctx.collation)
    union_docs: list[Doc] = apply_pipeline([], list(spec["pipeline"]), sub_ctx)
    return list(docs) + union_docs


_PATCHES: dict[str, Callable[..., list[Doc]]] = {
    "$project": _patched_project,
    "$addFields": _patched_add_fields,
    "$set": _patched_add_fields,
    "$unionWith": _patched_union_with,
}


# --- 3. $type of a missing expression value ----------------------------------------


def _patched_type(arg: Any, ctx: Any, *, original: Callable[[Any, Any], Any]) -> Any:
    # Field paths and $$REMOVE are already right; only an operator expression
    # (e.g. $getField of an absent key) can hand back the MISSING marker.
    if _is_operator_document(arg) and expressions._eval(arg, ctx) is MISSING:
        return "missing"
    return original(arg, ctx)
