"""docs/configuration.md lists every environment variable the project reads, and only those.

The code is read with `ast`, not run: a direct read is `os.environ.get("X")`,
`os.getenv("X")`, `os.environ["X"]`, `os.environ.setdefault("X", ...)` or
`"X" in os.environ`, also through an alias (`env = os.environ.get`,
`from os import environ`). A function that reads a variable whose name it is
given (`_path(var, default)`, `refs(**fields)` in bot/config) is a helper: the
upper-case string arguments of every call to it are read too. YAML files read
`${VAR}` (Rasa expands them), and the Makefile reads the variables it lets a user
set (`?=`), the ones it exports and the ones its recipes take from the shell (`$$X`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"
PYTHON_DIRS = ("bot", "actions")
YAML_GLOBS = ("*.yml", "bot/**/*.yml", "bench/*.yml")
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")
READ_METHODS = frozenset({"get", "setdefault", "pop"})  # methods of os.environ that read a key


@dataclass
class Scan:
    """What one or more modules read: variable names, where each is read, and reads it can't name."""

    reads: dict[str, list[str]] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)

    def add(self, name: str, where: str) -> None:
        self.reads.setdefault(name, []).append(where)


class _Module:
    """One parsed module: its aliases for os, os.environ and its getters, and its helpers."""

    def __init__(self, source: str, origin: str) -> None:
        self.tree = ast.parse(source)
        self.origin = origin
        self.os_names: set[str] = set()
        self.environ_names: set[str] = set()
        self.getter_names: set[str] = set()
        self._find_aliases()

    def _find_aliases(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                self.os_names |= {a.asname or a.name for a in node.names if a.name == "os"}
            elif isinstance(node, ast.ImportFrom) and node.module == "os":
                for alias in node.names:
                    if alias.name == "environ":
                        self.environ_names.add(alias.asname or alias.name)
                    elif alias.name == "getenv":
                        self.getter_names.add(alias.asname or alias.name)
        for _ in range(3):  # `e = os.environ` then `get = e.get`: a few rounds reach a fixpoint
            for node in ast.walk(self.tree):
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    target = node.targets[0].id
                    if self.is_environ(node.value) or self.is_copy(node.value):
                        self.environ_names.add(target)
                    elif self.is_getter(node.value):
                        self.getter_names.add(target)

    def is_environ(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Attribute):
            return node.attr == "environ" and isinstance(node.value, ast.Name) and node.value.id in self.os_names
        return isinstance(node, ast.Name) and node.id in self.environ_names

    def is_copy(self, node: ast.AST) -> bool:
        """`os.environ.copy()` or `dict(os.environ, ...)`: reading the copy reads the environment."""
        if not isinstance(node, ast.Call):
            return False
        if isinstance(node.func, ast.Attribute) and node.func.attr == "copy":
            return self.is_environ(node.func.value)
        return isinstance(node.func, ast.Name) and node.func.id == "dict" and any(map(self.is_environ, node.args))

    def is_getter(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Attribute):
            if node.attr == "getenv" and isinstance(node.value, ast.Name) and node.value.id in self.os_names:
                return True
            return node.attr in READ_METHODS and self.is_environ(node.value)
        return isinstance(node, ast.Name) and node.id in self.getter_names

    def _visit(self, node: ast.AST, function: ast.AST | None) -> Iterable[tuple[ast.AST, ast.AST | None]]:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node
        yield node, function
        for child in ast.iter_child_nodes(node):
            yield from self._visit(child, function)

    def direct_reads(self) -> Iterable[tuple[ast.AST | None, ast.AST, ast.AST | None]]:
        """(the key expression, the node, the enclosing function) for every direct read."""
        for node, function in self._visit(self.tree, None):
            if isinstance(node, ast.Call) and self.is_getter(node.func):
                key = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "key"), None)
                yield key, node, function
            elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and self.is_environ(node.value):
                yield node.slice, node, function
            elif isinstance(node, ast.Compare) and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops):
                if any(self.is_environ(c) for c in node.comparators):
                    yield node.left, node, function

    def calls(self) -> Iterable[tuple[str, ast.Call, ast.AST | None]]:
        """(the called name, the call, the enclosing function) for calls by plain or dotted name."""
        for node, function in self._visit(self.tree, None):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
                yield (node.func.id if isinstance(node.func, ast.Name) else node.func.attr), node, function


def _names(node: ast.AST | None) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} if node is not None else set()


def _parameters(function: ast.AST) -> set[str]:
    args = function.args  # type: ignore[attr-defined]
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return {a.arg for a in every if a is not None}


def _from_parameters(function: ast.AST | None, expression: ast.AST | None) -> bool:
    """Whether `expression` is computed from `function`'s parameters (through assignments and loops)."""
    if function is None:
        return False
    sources: dict[str, set[str]] = {}  # a name, and the names its value was computed from
    for node in ast.walk(function):
        pairs: list[tuple[ast.AST, ast.AST]] = []
        if isinstance(node, ast.Assign):
            pairs = [(target, node.value) for target in node.targets]
        elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr) and node.value is not None:
            pairs = [(node.target, node.value)]
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            pairs = [(node.target, node.iter)]
        for target, value in pairs:
            for name in _names(target):
                sources.setdefault(name, set()).update(_names(value))
    seen, todo = set(), _names(expression)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo |= sources.get(name, set())
    return bool(seen & _parameters(function))


def _constant_name(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _string_arguments(call: ast.Call) -> list[str]:
    values = [*call.args, *(k.value for k in call.keywords)]
    return [v for v in map(_constant_name, values) if v is not None and ENV_NAME.match(v)]


def scan_sources(sources: dict[str, str]) -> Scan:
    """Every environment variable the given modules ({origin: source}) read."""
    scan = Scan()
    modules = [_Module(source, origin) for origin, source in sources.items()]
    helpers: set[str] = set()  # functions that read a variable they are given the name of
    for module in modules:
        for key, node, function in module.direct_reads():
            where = f"{module.origin}:{node.lineno}"
            name = _constant_name(key)
            if name is not None:
                scan.add(name, where)
            elif (
                isinstance(key, ast.Name)
                and isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
                and _from_parameters(function, key)
            ):
                helpers.add(function.name)
            else:
                scan.unresolved.append(f"{where}: {ast.unparse(node)}")
    while True:  # a function handing a name it was given on to a helper is a helper too
        more = {
            function.name
            for module in modules
            for called, call, function in module.calls()
            if called in helpers and isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
            and function.name not in helpers
            and any(_from_parameters(function, arg) for arg in [*call.args, *(k.value for k in call.keywords)])
        }  # fmt: skip
        if not more:
            break
        helpers |= more
    for module in modules:
        for called, call, _ in module.calls():
            if called in helpers:
                for name in _string_arguments(call):
                    scan.add(name, f"{module.origin}:{call.lineno}")
    return scan


def python_sources() -> dict[str, str]:
    return {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for folder in PYTHON_DIRS
        for path in sorted((ROOT / folder).rglob("*.py"))
    }


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def yaml_references() -> dict[str, list[str]]:
    """`${VAR}` in the values of the project's YAML files (comments don't count)."""
    refs: dict[str, list[str]] = {}
    for pattern in YAML_GLOBS:
        for path in sorted(ROOT.glob(pattern)):
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            for text in _strings(doc):
                for name in re.findall(r"\$\{(\w+)\}", text):
                    refs.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return refs


def makefile_variables(text: str) -> dict[str, set[str]]:
    """The Makefile's environment: `settable` (?=), `exported`, `shell` ($$X in recipes), `inline` (X=v cmd)."""
    # Comments out, but not in recipes (tab-indented): there `#` is the shell's.
    lines = [line if line.startswith("\t") else line.split("#", 1)[0] for line in text.splitlines()]
    body = "\n".join(lines)
    return {
        "settable": set(re.findall(r"^(?:export\s+)?([A-Z][A-Z0-9_]*)\s*\?=", body, re.M)),
        "exported": set(re.findall(r"^export\s+([A-Z][A-Z0-9_]*)\b", body, re.M)),
        "shell": set(re.findall(r"\$\$\{?([A-Z][A-Z0-9_]*)", body)),
        "inline": set(re.findall(r"(?:^\t|[\s;@])([A-Z][A-Z0-9_]*)=\S", body, re.M)),
    }


def documented(text: str) -> list[str]:
    """The variables in the table: the first cell of each row, in backticks."""
    return re.findall(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|", text, re.M)


MAKEFILE = makefile_variables((ROOT / "Makefile").read_text(encoding="utf-8"))
TABLE = documented(DOC.read_text(encoding="utf-8"))


# The scanner itself, on small sources: each way of reading a variable, and what isn't one.


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('import os\nos.environ.get("ALPHA_ONE")', {"ALPHA_ONE"}),
        ('import os\nos.environ.get(key="ALPHA_ONE")', {"ALPHA_ONE"}),
        ('import os\nos.getenv("ALPHA_ONE", "x")', {"ALPHA_ONE"}),
        ('import os\nos.environ["ALPHA_ONE"]', {"ALPHA_ONE"}),
        ('import os\nos.environ.setdefault("ALPHA_ONE", "1")', {"ALPHA_ONE"}),
        ('import os\nif "ALPHA_ONE" in os.environ: pass', {"ALPHA_ONE"}),
        ('import os as o\no.getenv("ALPHA_ONE")', {"ALPHA_ONE"}),
        ('from os import environ\nenviron["ALPHA_ONE"]', {"ALPHA_ONE"}),
        ('from os import getenv as g\ng("ALPHA_ONE")', {"ALPHA_ONE"}),
        ('import os\ndef f():\n    env = os.environ.get\n    return env("ALPHA_ONE")', {"ALPHA_ONE"}),
        ('import os\ne = os.environ\nget = e.get\nget("ALPHA_ONE")', {"ALPHA_ONE"}),
        (
            'import os\ndef _path(var, default):\n    return os.environ.get(var) or default\n_path("ALPHA_ONE", "d")',
            {"ALPHA_ONE"},
        ),
        (
            "import os\ndef f():\n    env = os.environ.get\n"
            "    def refs(**fields):\n        return {k: env(v) for k, v in fields.items()}\n"
            '    return refs(token="ALPHA_ONE", url="BETA_TWO")',
            {"ALPHA_ONE", "BETA_TWO"},
        ),
        (
            "import os\ndef read(var):\n    return os.getenv(var)\n"
            'def setting(name):\n    return read(name)\nsetting("ALPHA_ONE")',
            {"ALPHA_ONE"},
        ),
        ('import os\nenv = dict(os.environ, ALPHA_ONE="1")\nenv.get("BETA_TWO")', {"BETA_TWO"}),
        ('import os\ncopy = os.environ.copy()\ncopy["BETA_TWO"]', {"BETA_TWO"}),
        # Not reads of the process environment:
        ('def connect(sid, environ):\n    return environ.get("HTTP_ORIGIN")', set()),
        ('import os\nos.environ["ALPHA_ONE"] = "1"', set()),
        ('settings = {}\nsettings.get("ALPHA_ONE")', set()),
        ('import os\nenv = dict(os.environ, ALPHA_ONE="1")', set()),
    ],
)
def test_the_scanner_finds_each_way_of_reading(source: str, expected: set[str]) -> None:
    scan = scan_sources({"example.py": source})
    assert set(scan.reads) == expected
    assert scan.unresolved == []


@pytest.mark.parametrize(
    ("source", "unresolved"),
    [
        ('import os\nfor var in ("A", "B"):\n    os.environ.get(var)', "example.py:3: os.environ.get(var)"),
        ('import os\ndef f(name):\n    return os.getenv(f"ALPHA_{name}")', "example.py:3: os.getenv(f'ALPHA_{name}')"),
        (
            'import os\nNAMES = ["ALPHA_ONE"]\ndef f():\n    return [os.getenv(n) for n in NAMES]',
            "example.py:4: os.getenv(n)",
        ),
    ],
)
def test_the_scanner_reports_a_read_it_cannot_name(source: str, unresolved: str) -> None:
    assert scan_sources({"example.py": source}).unresolved == [unresolved]


def test_the_scanner_follows_helpers_across_modules() -> None:
    config = 'import os\ndef setting(name, default=""):\n    return os.environ.get(name, default)'
    user = 'from pkg import config\nconfig.setting("ALPHA_ONE")'
    assert set(scan_sources({"pkg/config.py": config, "pkg/user.py": user}).reads) == {"ALPHA_ONE"}


def test_the_scanner_sees_the_real_helpers() -> None:
    """bot/config reads through `_path(...)`, `env = os.environ.get` and `refs(name="X")`: all found."""
    reads = scan_sources(python_sources()).reads
    assert {"ALLIANCE_ANSWERS_DB", "ALLIANCE_CRISIS_LINE", "TELEGRAM_API_URL", "SLACK_CHANNEL"} <= set(reads)
    assert "HTTP_ORIGIN" not in reads  # the socket.io handshake's environ, not the process's


def test_a_new_read_the_table_lacks_is_caught() -> None:
    sources = {**python_sources(), "bot/scratch.py": 'import os\nos.getenv("ALLIANCE_NOT_DOCUMENTED")'}
    assert set(scan_sources(sources).reads) - set(TABLE) == {"ALLIANCE_NOT_DOCUMENTED"}


def test_the_makefile_parser() -> None:
    text = "X := 1\nPORT_A ?= 1\nexport HOST_B ?= h\nexport FIXED_C := 2\nrun:\n\tFOO_D=1 cmd $${TOKEN_E:+x}\n"
    assert makefile_variables(text) == {
        "settable": {"PORT_A", "HOST_B"},
        "exported": {"HOST_B", "FIXED_C"},
        "shell": {"TOKEN_E"},
        "inline": {"FOO_D"},
    }


# The table against the code.


def test_the_table_lists_each_variable_once() -> None:
    assert TABLE, f"no table rows found in {DOC}"
    assert sorted(name for name in set(TABLE) if TABLE.count(name) > 1) == []


def test_every_variable_the_code_reads_is_documented() -> None:
    scan = scan_sources(python_sources())
    assert scan.unresolved == [], "reads whose variable the scan can't name: make the name a literal"
    undocumented = {name: places for name, places in scan.reads.items() if name not in TABLE}
    undocumented |= {name: places for name, places in yaml_references().items() if name not in TABLE}
    assert undocumented == {}, f"add these to the table in {DOC.relative_to(ROOT)}"


def test_every_variable_a_makefile_user_sets_is_documented() -> None:
    wanted = MAKEFILE["settable"] | MAKEFILE["exported"] | MAKEFILE["shell"]
    assert {"RASA_PORT", "WORKERS", "ALLIANCE_API_TOKEN"} <= wanted  # the parser still reads the Makefile
    assert sorted(wanted - set(TABLE)) == []


def test_every_documented_variable_is_read_somewhere() -> None:
    read = set(scan_sources(python_sources()).reads) | set(yaml_references())
    read |= set().union(*MAKEFILE.values())
    assert sorted(set(TABLE) - read) == [], "the table lists variables nothing reads: drop them"
