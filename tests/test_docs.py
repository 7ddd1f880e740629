"""The README and the docs cannot drift from the program.

* Every ```console block in README.md and docs/**/*.md is run: each `$ command` line in a fresh
  temporary folder per block (commands of a block share it, in order), through bash, with the
  same gradsheet the tests import; what it prints (stdout and stderr, as a terminal shows them)
  is compared with the lines under it. Only the temporary folder's path is normalised (to
  /tmp/example), trailing spaces and trailing blank lines are ignored, and a line `...` stands
  for any lines, allowed only under a `pip install` (whose output depends on the machine).
  Data files an example names are shipped presets or made by an earlier command of the same
  block (`printf ... > class.csv`).
* `GRADSHEET_UPDATE_DOCS=1 pytest tests/test_docs.py` rewrites the lines under each command
  with what it printed now: review the diff, then commit.
* The reference shows `gradsheet CMD --help` for every command (as console blocks, so they are
  run too), and the named-cell tables list exactly the names real builds define.
* Every picture the README and the docs show is made by scripts/pictures.py (its PICTURES).
* Every relative link of README.md resolves; `mkdocs build --strict` passes (a broken link in
  the docs fails it).

Only ```console blocks are examples. Commands that take minutes or install software (`bash
.ci/run`, benchmarks, `pip install` for the add-ins) are shown in ```sh blocks, which must not
hold a `gradsheet` command: a gradsheet command shown anywhere in a code block is run here.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
UPDATE = os.environ.get("GRADSHEET_UPDATE_DOCS", "").strip() not in ("", "0")
IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
TEMP_SHOWN = "/tmp/example"  # what the temporary folder's path reads as in the docs
WILDCARD = "..."


def sources() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# -- fenced code blocks ----------------------------------------------------------------------

FENCE = re.compile(r"^(```+|~~~+)\s*([\w+-]*)")


@dataclass
class Block:
    path: Path
    index: int  # the n-th fenced block of its file (so the update finds it again)
    lang: str
    line: int  # 1-based line of the opening fence
    body: list[str]

    @property
    def id(self) -> str:
        return f"{rel(self.path)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """Fenced code blocks (fences at the start of a line; MkDocs and GitHub read them alike)."""
    out, lines, i = [], path.read_text(encoding="utf-8").split("\n"), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, start, body = m.group(1), i, []
        i += 1
        while i < len(lines) and not lines[i].startswith(fence):
            body.append(lines[i])
            i += 1
        out.append(Block(path, len(out), m.group(2).lower(), start + 1, body))
        i += 1
    return out


def console_blocks() -> list[Block]:
    return [b for p in sources() for b in blocks(p) if b.lang == "console"]


def commands(block: Block) -> list[tuple[str, list[str]]]:
    """[(command, expected output lines)] of a console block."""
    out = []
    for line in block.body:
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif out:
            out[-1][1].append(line)
        elif line.strip():
            raise AssertionError(f"{block.id}: a console block starts with a `$ command` line, not {line!r}")
    return out


# -- running an example ----------------------------------------------------------------------

def _bin_dir(tmp: Path) -> Path:
    """A folder whose `gradsheet` runs this interpreter's gradsheet: the installed console script
    beside the interpreter (CI, a user's venv), else a stand-in running `python -m gradsheet`."""
    here = Path(sys.executable).parent
    if (here / "gradsheet").is_file() and (here / "python3").exists():
        return here
    folder = tmp / ".bin"
    folder.mkdir()
    script = folder / "gradsheet"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m gradsheet "$@"\n')
    script.chmod(0o755)
    (folder / "python3").symlink_to(sys.executable)
    return folder


def _env(tmp: Path, installing: bool = False) -> dict[str, str]:
    import gradsheet
    env = dict(os.environ)
    env.update(COLUMNS="80", PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8", NO_COLOR="1", TERM="dumb")
    env.pop("GRADSHEET_UPDATE_DOCS", None)
    if installing:  # the README's install: a fresh virtual environment, nothing of ours on its path
        env.pop("PYTHONPATH", None)
        env.pop("VIRTUAL_ENV", None)
        return env
    env["PATH"] = f"{_bin_dir(tmp)}{os.pathsep}{env.get('PATH', '')}"
    # The console script imports the same gradsheet as these tests (the checkout's in a fast
    # loop run from it, the installed one in CI).
    env["PYTHONPATH"] = os.pathsep.join([str(Path(gradsheet.__file__).resolve().parent.parent),
                                         *filter(None, [env.get("PYTHONPATH")])])
    return env


def _checkout_copy(dest: Path) -> None:
    """The checkout's tracked files (as they are now), for the README's `pip install .`."""
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True,
                           text=True).stdout.split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def run_block(block: Block, tmp: Path) -> list[tuple[str, list[str], int]]:
    """[(command, printed lines, exit code)], each command run in turn in `tmp` (a copy of the
    checkout for a block that installs it)."""
    work = tmp / "work"
    work.mkdir()
    cmds = commands(block)
    installing = any("pip install ." in c for c, _ in cmds)
    if installing:
        _checkout_copy(work)
    env, done = _env(tmp, installing), []
    for command, _ in cmds:
        proc = subprocess.run(["bash", "-c", command], cwd=work, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=900)
        printed = proc.stdout.replace(str(work.resolve()), TEMP_SHOWN).replace(str(work), TEMP_SHOWN)
        assert "Traceback (most recent call last)" not in printed, f"{block.id}: `{command}` crashed:\n{printed}"
        done.append((command, _tidy(printed.split("\n")), proc.returncode))
    return done


def _tidy(lines: list[str]) -> list[str]:
    lines = [line.rstrip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def matches(expected: list[str], printed: list[str]) -> bool:
    """Line by line; a `...` line stands for any lines (none too)."""
    if not expected:
        return not printed
    if expected[0] == WILDCARD:
        return any(matches(expected[1:], printed[i:]) for i in range(len(printed) + 1))
    return bool(printed) and expected[0] == printed[0] and matches(expected[1:], printed[1:])


def rewrite(block: Block, done: list[tuple[str, list[str], int]]) -> None:
    """Put what the commands printed under them, in the block's file (found again by index)."""
    fresh = blocks(block.path)[block.index]
    assert fresh.lang == "console" and commands(fresh) == commands(block), f"{block.id} changed meanwhile"
    body = []
    for (command, expected), (_, printed, _) in zip(commands(block), done):
        body.append(f"$ {command}")
        body.extend(expected if matches(_tidy(expected), printed) else printed)
    lines = block.path.read_text(encoding="utf-8").split("\n")
    start = fresh.line  # the line after the opening fence, 0-based
    lines[start:start + len(fresh.body)] = body
    block.path.write_text("\n".join(lines), encoding="utf-8")


def _marks(block: Block) -> list:
    text = "\n".join(c for c, _ in commands(block))
    marks = []
    if "gradsheet grade" in text:
        marks.append(pytest.mark.libreoffice)
    if "pip install ." in text:
        marks.append(pytest.mark.install)
    return marks


CONSOLE = console_blocks()


@pytest.mark.parametrize("block", [pytest.param(b, id=b.id, marks=_marks(b)) for b in CONSOLE])
def test_console_example(block: Block, tmp_path):
    if "pip install ." in "\n".join(c for c, _ in commands(block)) and not (
            IN_CI or os.environ.get("GRADSHEET_TEST_INSTALL")):
        pytest.skip("makes a virtual environment and installs from the package index: "
                    "CI, or GRADSHEET_TEST_INSTALL=1")
    if "gradsheet grade" in "\n".join(c for c, _ in commands(block)) and not shutil.which("soffice"):
        if IN_CI:
            pytest.fail("LibreOffice is required when CI=true", pytrace=False)
        pytest.skip("LibreOffice not available")
    done = run_block(block, tmp_path)
    if UPDATE:
        rewrite(block, done)
        return
    for (command, expected), (_, printed, code) in zip(commands(block), done):
        expected = _tidy(expected)
        if WILDCARD in expected:
            assert "pip install" in command, f"{block.id}: `...` stands for output only under a pip install"
        assert matches(expected, printed), (
            f"{block.id}: `{command}` printed (exit code {code}):\n" + "\n".join(printed) +
            "\n\ninstead of:\n" + "\n".join(expected) +
            "\n\n(GRADSHEET_UPDATE_DOCS=1 rewrites the docs from what the program prints now)")


def test_console_blocks_exist_and_are_well_formed():
    assert CONSOLE, "no console examples found"
    for block in CONSOLE:
        assert commands(block), f"{block.id}: a console block without a `$ command`"


def test_gradsheet_commands_only_in_console_blocks():
    """A gradsheet command in any other code block would never be run: make it an example."""
    for path in sources():
        for block in blocks(path):
            if block.lang == "console":
                continue
            for line in block.body:
                assert not re.match(r"\s*(\$\s*)?(gradsheet|python3? -m gradsheet)(\s|$)", line), (
                    f"{block.id}: `{line.strip()}` is a gradsheet command outside a ```console block")


def test_update_mode_rewrites_only_the_output(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("text\n\n```console\n$ echo one\nold\n$ printf 'a\\nb\\n'\nstale\n```\n\nmore\n",
                    encoding="utf-8")
    block = blocks(page)[0]
    rewrite(block, run_block(block, tmp_path))
    assert page.read_text(encoding="utf-8") == (
        "text\n\n```console\n$ echo one\none\n$ printf 'a\\nb\\n'\na\nb\n```\n\nmore\n")


def test_wildcard_matches_any_lines():
    assert matches(["...", "done"], ["a", "b", "done"]) and matches(["...", "done"], ["done"])
    assert not matches(["...", "done"], ["done", "extra"]) and not matches(["a"], ["a", "b"])


# -- the command reference -------------------------------------------------------------------

def _commands_of_the_cli() -> list[str]:
    from gradsheet.cli import main
    return sorted(main.commands)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_reference_shows_every_command_help(lang):
    page = DOCS / lang / "reference.md"
    shown = {c for b in blocks(page) if b.lang == "console" for c, _ in commands(b)}
    assert "gradsheet --help" in shown
    missing = [c for c in _commands_of_the_cli() if f"gradsheet {c} --help" not in shown]
    assert not missing, f"{rel(page)} lacks `gradsheet CMD --help` for: {missing}"


# -- the student's cell addresses -----------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "ko"])
def test_student_guide_addresses_are_the_course_workbooks(lang, tmp_path):
    """The student's guide names where the course workbook keeps its cells: as a fresh build has them."""
    import openpyxl

    from gradsheet.build import make
    wb = openpyxl.load_workbook(make(None, tmp_path / "lemonade.xlsx", lang=lang).path)
    where = {n: d.attr_text.replace("$", "").replace("'", "").split(":")[0] for n, d in wb.defined_names.items()}
    for ws in wb.worksheets:
        where.update({t: f"{ws.title}!{ws.tables[t].ref.split(':')[0]}" for t in ws.tables})
    rows = 0
    for line in (DOCS / lang / "student.md").read_text(encoding="utf-8").split("\n"):
        cells = line.split("|")
        if line.startswith("|") and len(cells) > 3 and "!" in cells[2]:
            names, places = re.findall(r"`(\w+)`", cells[1]), re.findall(r"`([^`]+)`", cells[2])
            assert len(names) == len(places), line
            for name, place in zip(names, places):
                assert where.get(name) == place, f"docs/{lang}/student.md: {name} is at {where.get(name)}, not {place}"
            rows += 1
    assert rows >= 8


# -- the named cells -------------------------------------------------------------------------

PLACEHOLDERS = {"P": r"(?:W|B|W_\d+|B_\d+|W_\d+_\d+|Wh_\d+_\d+|Bh_\d+|Wo_\d+|Wo_\d+_\d+|Bo|Bo_\d+)",
                "i": r"\d+", "j": r"\d+", "c": r"\d+", "opt": r"(?:gd|momentum|rmsprop|adam)"}


def documented_names(lang: str) -> set[str]:
    """The backticked names in the first column of the names page's tables."""
    names = set()
    for line in (DOCS / lang / "names.md").read_text(encoding="utf-8").split("\n"):
        if line.startswith("|") and not re.match(r"\|\s*-", line):
            first = line.split("|")[1]
            names.update(re.findall(r"`([A-Za-z_][\w]*)`", first))
    return names


def _pattern(name: str) -> re.Pattern:
    """`Loss_P` -> Loss_(W|B|W_1|…); `dLoss_dP` reads P after its d. A name is also itself
    (`shuffle_c` is the shuffle's c, not a class)."""
    parts = ["d" + PLACEHOLDERS["P"] if part == "dP" else PLACEHOLDERS.get(part, re.escape(part))
             for part in name.split("_")]
    return re.compile("(?:" + "_".join(parts) + "|" + re.escape(name) + r")\Z")


def _built_names(tmp: Path) -> dict[str, set[str]]:
    """Defined names and tables of builds covering every kind of workbook gradsheet makes."""
    import warnings

    import openpyxl

    from gradsheet.build import make
    from gradsheet.classroom.exercise import make_exercise
    from gradsheet.data import presets

    def names(path):
        wb = openpyxl.load_workbook(path)
        found = set(wb.defined_names.keys()) | {t for ws in wb.worksheets for t in ws.tables}
        for ws in wb.worksheets:
            found |= set(ws.defined_names.keys())
        return found

    def preset(name, stem=None, **options):
        read = {**presets.read(presets.find(name)), **options}
        return make(read.pop("data"), tmp / f"{stem or name}.xlsx", **read).path

    three = tmp / "three.csv"
    three.write_text("a,b,c,y\n1,2,3,4\n2,1,0,3\n3,3,1,5\n4,0,2,7\n5,1,1,6\n", encoding="utf-8")
    roster = tmp / "roster.csv"
    roster.write_text("id\n1\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        books = {
            "lemonade": make(None, tmp / "lemonade.xlsx").path,
            "three inputs": make(three, tmp / "three.xlsx", lr=0.0005).path,
            "central": make(None, tmp / "central.xlsx", diff="central").path,
            "housing": preset("housing"),
            "exam": preset("exam", compare=100),
            "iris": preset("iris", compare=100),
            "exercise": make_exercise(None, roster, tmp / "week").files[0],
            "hidden layer": preset("circles"),
            "hidden layer, softmax": preset("iris", "iris-hidden", hidden=3),
            "mini-batches": make(None, tmp / "batch.xlsx", batch=2).path,
        }
        for opt in ("momentum", "rmsprop", "adam"):
            books[opt] = make(None, tmp / f"{opt}.xlsx", optimizer=opt).path
        return {what: names(path) for what, path in books.items()}


@pytest.fixture(scope="module")
def built_names(tmp_path_factory):
    return _built_names(tmp_path_factory.mktemp("names"))


def test_names_page_lists_exactly_the_names_builds_define(built_names):
    documented = documented_names("en")
    patterns = {d: _pattern(d) for d in documented}
    every = set().union(*built_names.values())
    undocumented = sorted(n for n in every if not any(p.match(n) for p in patterns.values()))
    assert not undocumented, f"docs/en/names.md does not list: {undocumented}"
    unused = sorted(d for d, p in patterns.items() if not any(p.match(n) for n in every))
    assert not unused, f"docs/en/names.md lists names no build defines: {unused}"


def test_names_pages_agree():
    assert documented_names("ko") == documented_names("en")


# -- pages, links, pictures ------------------------------------------------------------------

def test_every_page_has_both_languages_and_is_in_the_nav():
    yaml = pytest.importorskip("yaml")  # mkdocs' own dependency
    ko = {p.relative_to(DOCS / "ko") for p in (DOCS / "ko").rglob("*.md")}
    en = {p.relative_to(DOCS / "en") for p in (DOCS / "en").rglob("*.md")}
    assert ko == en and ko
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    in_nav = set(re.findall(r"[\w/.-]+\.md", str(config["nav"])))
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert pages == in_nav, f"pages not in mkdocs.yml's nav: {pages - in_nav}; nav without page: {in_nav - pages}"


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _links(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)  # not inside code blocks
    return LINK.findall(text)


def test_readme_links_resolve():
    links = _links(ROOT / "README.md")
    assert links
    for link in links:
        if re.match(r"[a-z]+:", link):
            continue  # a web address
        target = (ROOT / link.split("#")[0]).resolve()
        assert target.exists(), f"README.md links {link}, which does not exist"


def _pictures_module():
    spec = importlib.util.spec_from_file_location("pictures", ROOT / "scripts" / "pictures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("pictures", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def shown_pictures() -> set[str]:
    shown = set()
    for path in sources():
        for link in _links(path):
            if link.endswith(".png"):
                target = (path.parent / link).resolve()
                assert target.parent == (DOCS / "img").resolve(), f"{rel(path)}: pictures live in docs/img: {link}"
                shown.add(target.name)
    return shown


def test_every_picture_shown_is_made_by_the_script():
    made = set(_pictures_module().PICTURES)
    shown = shown_pictures()
    assert shown <= made, f"pictures shown but not made by scripts/pictures.py: {sorted(shown - made)}"
    assert made <= shown, f"scripts/pictures.py makes pictures nobody shows: {sorted(made - shown)}"
    on_disk = {p.name for p in (DOCS / "img").glob("*.png")}
    assert on_disk == made, f"docs/img differs from scripts/pictures.py: {sorted(on_disk ^ made)}"


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


@pytest.mark.libreoffice
def test_a_picture_made_again_has_the_committed_size(tmp_path):
    """The first-screen picture, made again from today's build, is the one committed (same size;
    pixels may differ with LibreOffice's and the fonts' versions)."""
    missing = [tool for tool in ("soffice", "pdftoppm") if not shutil.which(tool)]
    if missing:
        if IN_CI:
            pytest.fail(f"needed when CI=true: {missing}", pytrace=False)
        pytest.skip(f"not installed: {missing}")
    _pictures_module().make_pictures(["workbook.png"], tmp_path)
    assert _png_size(tmp_path / "workbook.png") == _png_size(DOCS / "img" / "workbook.png")


def test_mkdocs_builds_strictly(tmp_path):
    pytest.importorskip("mkdocs")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
                           "--site-dir", str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
