"""Layering: which part of the code may do what, read off the source itself."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import workbook
from workbook.store.models import VISIBILITIES

SRC = Path(workbook.__file__).resolve().parent
ROOT = SRC.parent.parent

#: What builds or runs a statement when called on the sqlalchemy module (``sa.select(...)``).
_STATEMENTS = {"select", "insert", "update", "delete", "text", "table", "column", "func", "exists", "union"}
#: What runs one on a connection or cursor (``conn.execute(...)``).
_RUNS = {"execute", "executemany", "exec_driver_sql", "executescript"}
#: The store's transactions and engine: where a connection would come from.
_TRANSACTIONS = {"read", "write", "_read", "_write", "_translate"}


def _name(node: ast.expr) -> str:
    return (node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else "").lower()


def _is_store(node: ast.expr) -> bool:
    """``store``, ``self.store``, ``ctx.store``, ``example_store``: what holds a Store by its name."""
    return "store" in _name(node)


def _is_connection(node: ast.expr) -> bool:
    """``conn``, ``self.connection``, ``cur``, ``db``... (a kernel client's ``kc.execute(code)`` is no SQL)."""
    name = _name(node)
    return name == "db" or any(part in name for part in ("conn", "cur", "engine", "session"))


def sql_outside_store(source: str) -> list[str]:
    """Why ``source`` (a module outside ``workbook/store``) would hold SQL of its own: empty when it holds none.

    A module outside the store gets no table (``store.schema``), builds no statement with
    sqlalchemy, opens no transaction or connection of the store's, and runs nothing on a
    connection or cursor; sqlalchemy's URL helpers (``sa.make_url``) are not SQL and stay allowed.
    """
    tree = ast.parse(source)
    problems: list[str] = []
    sa_names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top == "sqlalchemy":
                    sa_names.add(alias.asname or top)
                elif top in ("sqlite3", "psycopg", "psycopg2"):
                    problems.append(f"line {node.lineno}: imports the database driver {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module.endswith("store.schema") or (node.level and module == "schema"):
                problems.append(f"line {node.lineno}: imports tables from {module} (statements belong in store/)")
            elif module.split(".")[0] == "sqlalchemy":
                for alias in node.names:
                    if alias.name in _STATEMENTS:
                        problems.append(f"line {node.lineno}: imports {alias.name} from {module}")
            elif module.split(".")[0] in ("sqlite3", "psycopg", "psycopg2"):
                problems.append(f"line {node.lineno}: imports from the database driver {module}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in sa_names and node.attr in _STATEMENTS:
                problems.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
            elif node.attr in _RUNS and _is_connection(node.value):
                problems.append(f"line {node.lineno}: {_name(node.value)}.{node.attr}(...) runs a statement")
            elif node.attr in _TRANSACTIONS | {"engine"} and _is_store(node.value):
                problems.append(f"line {node.lineno}: uses the store's {node.attr} (call a store verb instead)")
    return sorted(set(problems))


def _sources() -> dict[str, str]:
    """Every Python module of the package outside store/, and the code cells of every shipped notebook."""
    out = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
           for p in SRC.rglob("*.py") if p.relative_to(SRC).parts[0] != "store"}
    for nb in [*SRC.rglob("*.ipynb"), *(ROOT / "notebooks").rglob("*.ipynb")]:
        if ".ipynb_checkpoints" in nb.parts:
            continue
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
        # IPython magics and shell lines are not Python; they run no SQL of ours either
        out[str(nb.relative_to(ROOT))] = "\n".join(
            line for cell in code for line in cell.splitlines() if not line.lstrip().startswith(("%", "!")))
    return out


def test_every_sql_statement_lives_in_the_store() -> None:
    # The check itself sees what it is for (the roster import before it went through Store.import_roster):
    before = ("from .store.schema import memberships\n"
              "with store.write() as conn:\n"
              "    conn.execute(memberships.update().values(active=False))\n")
    assert len(sql_outside_store(before)) == 3
    assert sql_outside_store("import sqlalchemy as sa\nrows = sa.select(x)\nurl = sa.make_url(u)\n") == [
        "line 2: sa.select"]
    assert sql_outside_store("d = {}\nd.update(a=1)\nrow = []\nrow.insert(0, 1)\nkc.execute(code)\n") == []
    sources = _sources()
    assert "src/workbook/roster.py" in sources and "notebooks/coach/review.ipynb" in sources
    found = {name: why for name, text in sources.items() if (why := sql_outside_store(text))}
    assert found == {}


#: Where an AccessDenied may be raised outside `workbook.access`, and why it is no rule of its own there.
_REFUSALS_ELSEWHERE = {
    "src/workbook/retro.py": "retro verbs refuse what an access predicate (can_vote, visible_cards) said no to",
    "src/workbook/forms/pages.py": "a link's own state (a closed session, an exercise of another kind): page messages",
    "src/workbook/forms/entry.py": "the key is checked again before a save (access.authenticate said no)",
}


def access_decisions(source: str) -> list[str]:
    """Where ``source`` (a module other than `workbook.access`) decides who may see or do what by itself.

    Two marks of a rule written outside `access`: comparing an entry's or card's ``visibility``
    with a visibility level (who may read it), and refusing with ``AccessDenied``. Comparing one
    entry's visibility with another's (did an edit change it?) decides nothing.
    """
    def level(node: ast.expr) -> bool:  # "cohort", or ("coach", "cohort"): a visibility level written out
        if isinstance(node, ast.Constant):
            return node.value in VISIBILITIES
        return isinstance(node, (ast.List, ast.Tuple, ast.Set)) and any(level(e) for e in node.elts)

    problems: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(level(side) for side in (node.left, *node.comparators)):
            for side in (node.left, *node.comparators):
                if isinstance(side, ast.Attribute) and side.attr == "visibility":
                    problems.append(f"line {node.lineno}: compares .visibility (use an access predicate)")
                if isinstance(side, ast.Subscript) and isinstance(side.slice, ast.Constant) \
                        and side.slice.value == "visibility":
                    problems.append(f"line {node.lineno}: compares ['visibility'] (use an access predicate)")
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and _name(node.exc.func) == "accessdenied":
            problems.append(f"line {node.lineno}: raises AccessDenied")
    return sorted(set(problems))


def test_every_access_decision_lives_in_access() -> None:
    # The check sees what it is for (the retro board before its rule moved to access.can_see_card):
    before = ("for c in cards:\n"
              "    if c['visibility'] != 'cohort' and not mine:\n"
              "        continue\n"
              "if session.cohort_id != viewer.cohort_id:\n"
              "    raise AccessDenied('not your cohort')\n")
    assert access_decisions(before) == ["line 2: compares ['visibility'] (use an access predicate)",
                                        "line 5: raises AccessDenied"]
    sources = {name: text for name, text in _sources().items() if not name.endswith("/access.py")}
    # sample.py writes realistic activity as if people did it: it reads visibilities to imitate them.
    found = {name: why for name, text in sources.items()
             if name != "src/workbook/sample.py" and (why := access_decisions(text))}
    unexplained = {name: why for name, why in found.items()
                   if name not in _REFUSALS_ELSEWHERE or any("visibility" in w for w in why)}
    assert unexplained == {}
    # Each allowed place only refuses (none compares visibilities), and the list holds no stale entry.
    assert set(found) == set(_REFUSALS_ELSEWHERE)
