"""One language per user (issue 16, section 2): every message a command prints comes from the
catalogue (gradsheet/core/messages.py) in Korean and English, and speaks the workbook's
language: `--lang` (or the preset's) for build and exercise, the workbook's own for the
commands on it, the answer key's for grading, Korean before the language is known."""

from __future__ import annotations

import ast
import csv
import re
import string
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradsheet.build import make
from gradsheet.classroom import exercise as ex
from gradsheet.classroom import feedback
from gradsheet.classroom.grade import Grader, write_report
from gradsheet.cli import main
from gradsheet.core import messages
from gradsheet.core.errors import GradsheetError
from gradsheet.core.messages import EN, KO, Message

PACKAGE = Path(__file__).resolve().parents[1] / "gradsheet"
# Folders whose raisers still pass free text. Another change converts gradsheet/data/ (the
# data and preset messages); it empties this list, and the scan then covers everything.
NOT_YET_CONVERTED: list[str] = []


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="gradsheet")


# --- the catalogue ----------------------------------------------------------------------------
def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_key_has_both_languages_with_the_same_placeholders():
    assert KO.keys() == EN.keys()
    for key in KO:
        assert re.fullmatch(r"[a-z]+\.[a-z0-9_]+", key), key
        assert KO[key].strip() and EN[key].strip(), key
        assert fields(KO[key]) == fields(EN[key]), key


def test_the_korean_is_korean_and_polite():
    """A Korean text is in Hangul wherever the English one has words (not only names and
    placeholders), and its sentences end in 합니다체 (…니다), a polite request (…세요) or question (…가요)."""
    names = {"gradsheet", "apt", "get", "install", "python3", "uno", "libreoffice", "calc", "set", "reset",
             "xlsx", "ods", "lr", "eps", "none", "step", "one", "hot"}
    for key, text in KO.items():
        bare = re.sub(r"\{[^}]*\}", "", EN[key])
        words = {w.lower() for w in re.findall(r"[A-Za-z]{3,}", bare)} - names
        if words:
            assert re.search(r"[가-힣]", text), key
        for ending in re.findall(r"(\w{2})(?=[.:;)]|,\s|$)", text):
            if re.fullmatch(r"[가-힣]+", ending) and ending[-1] in "다요":
                assert ending in ("니다", "세요", "가요"), (key, ending)  # 가요: a polite question


def test_a_message_renders_in_the_language_in_use_and_nested_ones_follow():
    m = Message("settings.hyper", name="beta", rule=Message("settings.rule_decay"), value="1.0")
    assert str(m) == "--beta: 0 이상 1 미만의 수여야 합니다 (받은 값: 1.0)"  # Korean by default
    assert m.render("en") == "--beta must be a number from 0 up to (not including) 1, got 1.0"
    messages.use("en")
    assert str(GradsheetError("book.not_found", path="x.xlsx")) == "workbook not found: x.xlsx"
    messages.use("fr")  # unknown: the language stays
    assert messages.current() == "en"


# --- every raiser passes a key (an AST scan of gradsheet/) --------------------------------------
def _keys_of(node: ast.expr) -> list[str] | None:
    """The catalogue keys an argument can be: a string literal, or either side of `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _keys_of(node.body), _keys_of(node.orelse)
        return body + orelse if body is not None and orelse is not None else None
    return None


def _name(func: ast.expr) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


# warnings relayed as they came: the data's own warnings (Message objects made, and scanned, in
# gradsheet/data/), passed on by the code that loaded the data
RELAYED = {("gradsheet/build.py", "message"), ("gradsheet/classroom/exercise.py", "message")}


def free_text_raisers(root: Path = PACKAGE) -> list[str]:
    """Every GradsheetError(...) (or subclass), warnings.warn(...) and Message(...) in the package
    whose message is not a key of the catalogue."""
    trees = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).as_posix()
        if not any(rel.startswith(folder) for folder in NOT_YET_CONVERTED):
            trees[rel] = ast.parse(path.read_text(encoding="utf-8"))
    # GradsheetError's subclasses; those with their own __init__ pass a key to super().__init__
    errors, own_init = {"GradsheetError"}, set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(_name(b) in errors for b in node.bases):
                errors.add(node.name)
                if any(isinstance(f, ast.FunctionDef) and f.name == "__init__" for f in node.body):
                    own_init.add(node.name)
    bad = []
    for rel, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name in own_init:
                for call in ast.walk(node):
                    if isinstance(call, ast.Call) and _name(call.func) == "__init__" and \
                            isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Call):
                        if not call.args or not _known(_keys_of(call.args[0])):
                            bad.append(f"{rel}:{call.lineno}: {node.name} passes no catalogue key")
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            if name in errors - own_init or (name == "Message" and rel != "gradsheet/core/messages.py"):
                if not node.args or not _known(_keys_of(node.args[0])):
                    bad.append(f"{rel}:{node.lineno}: {name}({ast.unparse(node.args[0]) if node.args else ''})")
            elif name == "warn" and isinstance(node.func, ast.Attribute) and _name(node.func.value) == "warnings":
                arg = node.args[0] if node.args else None
                relayed = isinstance(arg, ast.Name) and (rel, arg.id) in RELAYED
                keyed = isinstance(arg, ast.Call) and _name(arg.func) == "Message"  # checked as a Message
                if not (relayed or keyed):
                    bad.append(f"{rel}:{node.lineno}: warnings.warn({ast.unparse(arg) if arg else ''})")
    return bad


def _known(keys: list[str] | None) -> bool:
    return keys is not None and all(key in KO for key in keys)


def test_every_error_and_warning_in_gradsheet_passes_a_catalogue_key():
    assert free_text_raisers() == []


def test_the_scan_finds_a_free_text_raise(tmp_path):
    """The bug planted once: a raise with free text, a warning with an f-string, a key that is
    not in the catalogue."""
    (tmp_path / "gradsheet").mkdir()
    (tmp_path / "gradsheet" / "bad.py").write_text(
        "import warnings\n"
        "from .core.errors import GradsheetError\n"
        "class Refused(GradsheetError):\n    pass\n"
        "def f(x):\n"
        "    warnings.warn(f'lr = {x} is too large')\n"
        "    raise Refused('build.no_such_key')\n"
        "def g(path):\n"
        "    raise GradsheetError(f'workbook not found: {path}')\n"
        "def h(path):\n"
        "    raise GradsheetError('book.not_found', path=path)\n", encoding="utf-8")
    found = free_text_raisers(tmp_path / "gradsheet")
    assert [line.split(": ", 1)[0] for line in found] == ["gradsheet/bad.py:6", "gradsheet/bad.py:7",
                                                          "gradsheet/bad.py:9"]


# --- the command line speaks the workbook's language ----------------------------------------------
def test_errors_before_the_language_is_known_are_korean(tmp_path):
    result = cli("step", tmp_path / "missing.xlsx")
    assert result.exit_code == 2
    assert result.stderr == f"gradsheet: 오류: 워크북이 없습니다: {tmp_path / 'missing.xlsx'}\n"


def test_clicks_own_usage_errors_speak_it_too():
    """Before the arguments are parsed only `--lang en` among them can say the language."""
    ko = cli("build", "--lr", "abc")
    assert ko.exit_code == 2 and ko.stderr.splitlines()[1:] == [
        "도움말은 'gradsheet build --help'에 있습니다.", "", "오류: '--lr'의 값이 잘못되었습니다: 'abc': 수가 아닙니다 (float)."]
    en = cli("build", "--lang", "en", "--lr", "abc")
    assert en.stderr.splitlines()[-1] == "Error: Invalid value for '--lr': 'abc' is not a valid float."
    assert cli("exercise", "-o", "x").stderr.splitlines()[-1] == "오류: 옵션이 빠졌습니다: '--roster'."
    assert cli("stepp").stderr.splitlines()[-1] == "오류: 그런 명령이 없습니다: 'stepp'. 혹시 'step' 말인가요?"
    assert cli("build", "--help").output.startswith("Usage: gradsheet build [OPTIONS] [DATA]")  # --help: English


def test_commands_on_a_workbook_speak_its_language(tmp_path):
    ko = make(None, tmp_path / "ko.xlsx")
    en = make(None, tmp_path / "en.xlsx", lang="en")
    assert cli("set", ko.path).stderr == "gradsheet: 오류: 바꿀 설정이 없습니다: --lr, --eps 또는 --seed 옵션을 주세요\n"
    assert cli("set", en.path).stderr == "gradsheet: error: nothing to set: give --lr, --eps or --seed\n"
    assert cli("set", en.path, "--lr", "-1").stderr == "gradsheet: error: --lr must be a positive number, got -1.0\n"
    assert cli("set", ko.path, "--lr", "-1").stderr == "gradsheet: 오류: --lr: 양수여야 합니다 (받은 값: -1.0)\n"
    # a warning, and an -o refused after the workbook was read
    said = cli("set", en.path, "--lr", "0.01")
    assert said.exit_code == 0 and said.stderr.startswith("gradsheet: warning: lr = 0.01 is above the largest stable")
    assert cli("step", en.path, "-o", tmp_path / "x.csv").stderr == \
        f"gradsheet: error: -o {tmp_path / 'x.csv'}: the output must be an .xlsx file (a name ending in .xlsx)\n"
    # the results, and a damaged workbook (its language known from its settings sheet)
    assert cli("reset", ko.path).stdout.startswith(f"{ko.path}에 저장했습니다: history 0행")
    assert cli("reset", en.path).stdout.startswith(f"wrote {en.path}: 0 history rows")


def test_build_speaks_lang_and_the_presets_lang(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ko = cli("build", "--lr", "0.01")
    assert ko.stderr.startswith("gradsheet: 경고: lr = 0.01: 이 데이터에서 안정한 가장 큰 학습률 0.00196")
    en = cli("build", "--lr", "0.01", "--lang", "en", "-o", "e.xlsx")
    assert en.stderr.startswith("gradsheet: warning: lr = 0.01 is above the largest stable learning rate")
    assert en.stdout.startswith("wrote e.xlsx: 6 rows")
    assert cli("build", "--lang", "en", "--landscape", "W,Q", "-o", "x.xlsx").stderr == \
        "gradsheet: error: --landscape takes two different parameters out of W, B (or none); got 'W,Q'\n"
    assert cli("build", "--landscape", "W,Q", "-o", "x.xlsx").stderr == \
        "gradsheet: 오류: --landscape: W, B 중 서로 다른 매개변수 두 개를 주세요 (또는 none). 받은 값: 'W,Q'\n"
    (tmp_path / "mine.toml").write_text('data = "lemonade"\nlang = "en"\nlr = 0.01\n', encoding="utf-8")
    preset = cli("build", "mine.toml")
    assert preset.exit_code == 0 and preset.stderr.startswith("gradsheet: warning: lr = 0.01 is above")
    assert preset.stdout.startswith("wrote mine.xlsx")
    assert cli("build", "mine.toml", "--lang", "ko").stdout.startswith("mine.xlsx에 저장했습니다")


def test_exercise_speaks_lang(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("id,name\ns1,김철수\ns2,이영희\n", encoding="utf-8")
    ko = cli("exercise", "--roster", roster, "-o", tmp_path / "ko")
    assert ko.exit_code == 0, ko.output
    assert ko.stdout.splitlines()[:2] == [
        f"과제 워크북 2개를 저장했습니다: {tmp_path / 'ko'} (빈칸: h, Loss, Loss_W, Loss_B, grad_W, grad_B, next_W, next_B)",
        f"답안 키: {tmp_path / 'ko' / ex.KEY_FILE} (잘 보관하세요. 학생에게는 .xlsx 파일만 나눠 주세요)"]
    en = cli("exercise", "--roster", roster, "-o", tmp_path / "en", "--lang", "en")
    assert en.stdout.startswith(f"wrote 2 exercise workbooks to {tmp_path / 'en'} (blank: h, Loss,")
    assert cli("exercise", "--roster", tmp_path / "none.csv", "-o", tmp_path / "x", "--lang", "en").stderr == \
        f"gradsheet: error: roster not found: {tmp_path / 'none.csv'}\n"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_statuses_in_report_and_feedback_speak_the_answer_keys_language(tmp_path, lang):
    """The status column holds words in the answer key's language ("ok" when nothing is
    flagged, in both); the feedback file says the same status. No engine is needed for files
    refused before it."""
    roster = tmp_path / "r.csv"
    roster.write_text("id,name\ns1,Ann\n", encoding="utf-8")
    made = ex.make_exercise(None, roster, tmp_path / "ex", lang=lang)
    (tmp_path / "s1.pdf").write_text("an essay")
    (tmp_path / "zz.pdf").write_text("a stranger's essay")
    grader = Grader(ex.read_key(made.folder), lo=None)
    rows = [grader.grade(tmp_path / "s1.pdf"), grader.grade(tmp_path / "zz.pdf")]
    statuses = {"ko": ["워크북이 아닙니다 (.xlsx 또는 .ods여야 하는데 '.pdf'입니다)",
                       "명단에 없습니다; 워크북이 아닙니다 (.xlsx 또는 .ods여야 하는데 '.pdf'입니다)"],
                "en": ["not a workbook (.xlsx or .ods expected, got '.pdf')",
                       "not on the roster; not a workbook (.xlsx or .ods expected, got '.pdf')"]}[lang]
    assert [r.status for r in rows] == statuses
    report = write_report(tmp_path / "report.csv", rows, list(made.blank))
    with open(report, encoding="utf-8-sig", newline="") as f:
        lines = list(csv.reader(f))
    assert lines[0][:8] == ["id", "name", "file", "score", "max", "status", "h", "Loss"]  # the names stay
    assert lines[1][:6] == ["s1", "Ann", "s1.pdf", "0", "8", statuses[0]]
    note = feedback.text_for(rows[0], list(made.blank)).splitlines()
    assert note[1] == {"ko": "상태: ", "en": "Status: "}[lang] + statuses[0]


def test_grading_without_libreoffice_says_so_in_the_answer_keys_language(tmp_path, monkeypatch):
    from gradsheet.classroom import engine
    roster = tmp_path / "r.csv"
    roster.write_text("id\ns1\n", encoding="utf-8")
    made = ex.make_exercise(None, roster, tmp_path / "ex", lang="en")
    monkeypatch.setattr(engine, "import_uno", lambda: None)
    monkeypatch.setattr(engine.shutil, "which", lambda name: None)
    result = cli("grade", made.folder / "s1.xlsx", "--key", made.folder, "-o", tmp_path / "rep.csv")
    assert result.exit_code == 2
    assert result.stderr == "gradsheet: error: grading needs LibreOffice: 'soffice' is not on PATH: " \
                            "apt-get install libreoffice-calc\n"


# --- --help is complete -----------------------------------------------------------------------------
COMMANDS = sorted(main.commands)


def test_the_command_list_shows_every_command_uncut():
    listing = cli("--help").output
    assert set(COMMANDS) <= set(re.findall(r"^  (\w+)\s", listing, re.M))
    body = listing.split("Commands:", 1)[1]
    assert "…" not in body and "..." not in body


@pytest.mark.parametrize("command", COMMANDS)
def test_every_commands_help_describes_its_arguments_and_cuts_nothing(command):
    result = cli(command, "--help")
    assert result.exit_code == 0
    text = result.output
    described = text.split("Options:", 1)[0].split("\n", 1)[1]  # the description, below the usage line
    for param in main.commands[command].params:
        if param.param_type_name == "argument":
            assert param.name.upper() in described, (command, param.name)
    for line in text.splitlines():
        if not line.startswith("Usage:"):  # `[ARGS]...` in the usage line is click's notation
            assert "…" not in line and "..." not in line, (command, line)
    assert "Example:" in text


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_option_is_in_the_command_reference(command, lang):
    """The command reference (the README's doorway leads there) shows every command's --help,
    so every option; tests/test_docs.py checks that what it shows is what the program prints."""
    reference = (PACKAGE.parent / "docs" / lang / "reference.md").read_text(encoding="utf-8")
    shown = reference.split(f"$ gradsheet {command} --help\n", 1)[1].split("```", 1)[0]
    for param in main.commands[command].params:
        if param.param_type_name == "option":
            assert any(opt in shown for opt in param.opts), (command, param.opts)
