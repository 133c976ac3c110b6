"""The front end's richer values: imported names in constants and loop items, several
loop names over a list of lists, range(), aliases, and imported names indexed or
reached with dots (issue 15, items 2 and 3). Errors are in tests/invalid."""
from __future__ import annotations

from fuseflow import ir
from fuseflow.compiler.frontend import compile_source


def nodes(text: str) -> dict[str, ir.Node]:
    wf, _ = compile_source(text, "t.fuse")
    return wf.node_index()


def test_a_let_list_holds_imported_classes_passed_as_the_objects_they_name():
    found = nodes("""
from m import fit, KNN, Tree
let classifiers = [["knn", KNN, {"k": 3}], ["tree", Tree, {}]]
for name, cls, pars in classifiers {
    model = fit(name, cls, pars)
    made = cls(pars)
}
""")
    assert list(found) == ["model.knn", "made.knn", "model.tree", "made.tree"]
    assert found["model.knn"].args == (ir.Literal("knn"), ir.Imported("m:KNN"), ir.Literal({"k": 3}))
    assert found["made.tree"].target == "m:Tree"  # a loop variable holding a class is called


def test_constants_holding_imports_become_lists_and_dicts_of_imported_values():
    found = nodes("""
from m import f, g, h
let table = {"first": [g, 1], "second": h}
x = f(table, table["first"][0])
""")
    table = ir.DictOf((("first", ir.ListOf((ir.Imported("m:g"), ir.Literal(1)))), ("second", ir.Imported("m:h"))))
    assert found["x"].args == (table, ir.Imported("m:g"))


def test_several_names_unpack_each_item_keyed_by_its_first_value_or_position():
    found = nodes("""
from m import f
for a, b in [["x", 1], ["y", 2]] { p = f(a, b) }
for a2, b2 in [[[1], 1], [[2], 2]] { q = f(a2, b2) }
""")
    assert [name for name in found] == ["p.x", "p.y", "q.0", "q.1"]
    assert found["p.y"].args == (ir.Literal("y"), ir.Literal(2))


def test_range_gives_the_integers_python_does_with_let_bounds():
    found = nodes("""
from m import f
let n = 3
for i in range(n) { a = f(i) }
for j in range(5, 1, -2) { b = f(j) }
c = f(range(2))
""")
    assert [name for name in found] == ["a.0", "a.1", "a.2", "b.5", "b.3", "c"]
    assert found["c"].args == (ir.Literal([0, 1]),)


def test_an_alias_is_its_reference_with_the_use_s_indexes_after_it():
    wf, _ = compile_source("""
from m import split, fit, KNN
param cfg: dict = {"k": [1]}
parts = split()
X = parts["X_train"]
first = X[0]
k = cfg["k"]
Model = KNN
m = Model(X, first, k[0])
""", "t.fuse")
    assert [node.name for node in wf.nodes] == ["parts", "m"]  # aliases make no node
    m = wf.node("m")
    assert m.target == "m:KNN"
    assert m.args == (ir.Ref("parts", ("X_train",)), ir.Ref("parts", ("X_train", 0)), ir.ParamRef("cfg", ("k", 0)))


def test_an_alias_in_a_loop_reads_the_current_iteration():
    found = nodes("""
from m import split, fit
for ds in ["a", "b"] {
    parts = split(ds)
    X = parts["X"]
    model = fit(X)
}
""")
    assert found["model.b"].args == (ir.Ref("parts.b", ("X",)),)


def test_an_imported_name_is_indexed_not_dropped():
    found = nodes("""
from m import length, DATA
import m as dm
u = length(DATA[0])
v = length(dm.DATA[1]["k"], dm.DATA)
""")
    assert found["u"].args == (ir.Imported("m:DATA", (0,)),)
    assert found["v"].args == (ir.Imported("m:DATA", (1, "k")), ir.Imported("m:DATA"))


def test_indexed_imports_survive_the_ir_json():
    wf, _ = compile_source("from m import f, DATA\nu = f(DATA[0])\n", "t.fuse")
    again = ir.Workflow.from_json(wf.to_json())
    assert again.node("u").args == (ir.Imported("m:DATA", (0,)),)
    assert '"callable": "m:DATA", "path": [0]' in wf.to_json()
