"""gradsheet.excel.xlam: ribbon add-ins made from xlwings' own Excel-made template.

The template is the reference: every part except customUI/customUI.xml must be
byte-identical (above all xl/vbaProject.bin, the VBA we may not touch), and the
ribbon XML must keep the template's callback while sharing one qualified tab.
"""
from __future__ import annotations

import ast
import hashlib
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from gradsheet.excel import xlam

CUI = "http://schemas.microsoft.com/office/2006/01/customui"
TEMPLATE = xlam.template_path()


def parts_of(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def template_button() -> ET.Element:
    """The template's one button: the reference for callback, size and icon."""
    root = ET.fromstring(parts_of(TEMPLATE)[xlam.CUSTOM_UI])
    (button,) = root.iter(f"{{{CUI}}}button")
    return button


def namespaces(xml: bytes) -> dict[str, str]:
    return dict(ev[1] for ev in ET.iterparse(io.BytesIO(xml), events=("start-ns",)))


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> list[Path]:
    return xlam.write_addins(tmp_path_factory.mktemp("addins"))


@pytest.fixture(scope="module")
def addins(written) -> list[Path]:
    return [p for p in written if p.suffix == ".xlam"]


def test_files_written(written):
    assert [p.name for p in written] == [
        "gradsheet_step.xlam", "gradsheet_step.py",
        "gradsheet_run10.xlam", "gradsheet_run10.py",
        "gradsheet_next.xlam", "gradsheet_next.py",
        "gradsheet_reset.xlam", "gradsheet_reset.py",
        "myaddin.conf",
    ]


def test_template_vba_runs_the_module_named_after_the_file():
    """What the whole design rests on, read from the shipped VBA source: the ribbon
    callback imports the add-in's file stem and calls main(); config is 'myaddin'."""
    bas = (TEMPLATE.parent / "xlwings_custom_addin.bas").read_text(encoding="latin-1")
    assert 'Public Const PROJECT_NAME As String = "myaddin"' in bas
    assert 'Set sht = wb.Sheets(PROJECT_NAME & ".conf")' in bas
    assert template_button().get("onAction") == "RibbonMyAddin.RunMain"


def test_every_other_part_is_the_templates(addins):
    ref = parts_of(TEMPLATE)
    for path in addins:
        got = parts_of(path)
        assert list(got) == list(ref), path.name  # same parts, same order
        for name, data in ref.items():
            if name != xlam.CUSTOM_UI:
                assert got[name] == data, (path.name, name)


def test_vba_project_untouched(addins):
    want = hashlib.sha256(parts_of(TEMPLATE)["xl/vbaProject.bin"]).hexdigest()
    for path in addins:
        assert hashlib.sha256(parts_of(path)["xl/vbaProject.bin"]).hexdigest() == want


@pytest.mark.parametrize("index,key,label", [(0, "step", "한 스텝"), (1, "run10", "10 스텝"), (2, "next", "다음 동작"), (3, "reset", "초기화")])
def test_custom_ui_shares_one_tab(addins, index, key, label):
    xml = parts_of(addins[index])[xlam.CUSTOM_UI]
    root = ET.fromstring(xml)
    assert root.tag == f"{{{CUI}}}customUI"
    ns = namespaces(xml)
    assert ns[""] == CUI and ns["x"] == xlam.NAMESPACE
    (tab,) = root.iter(f"{{{CUI}}}tab")
    (group,) = root.iter(f"{{{CUI}}}group")
    (button,) = root.iter(f"{{{CUI}}}button")
    # Qualified ids in the shared namespace; no plain id beside them (they exclude each other).
    assert (tab.get("idQ"), tab.get("id"), tab.get("label")) == ("x:GradSheetTab", None, "GradSheet")
    assert (group.get("idQ"), group.get("id")) == ("x:GradSheetGroup", None)
    assert button.get("id") == f"gradsheet_{key}" and button.get("label") == label
    # Callback, size and icon exactly as the template has them.
    ref = template_button()
    for attr in ("onAction", "size", "imageMso"):
        assert button.get(attr) == ref.get(attr), attr
    # Nothing else: one tab, one group, one button under ribbon/tabs.
    assert [el.tag.split("}")[1] for el in root.iter()] == [
        "customUI", "ribbon", "tabs", "tab", "group", "button"
    ]


def test_custom_ui_ids_are_valid_qualified_names(addins):
    # ST_QID: a QName whose prefix is declared; ids are NCNames of at most 1024 chars.
    ncname = re.compile(r"[A-Za-z_][\w.\-]*")
    for path in addins:
        xml = parts_of(path)[xlam.CUSTOM_UI]
        ns = namespaces(xml)
        for el in ET.fromstring(xml).iter():
            if "idQ" in el.attrib:
                prefix, local = el.get("idQ").split(":")
                assert prefix in ns and ncname.fullmatch(local)
            if "id" in el.attrib:
                assert ncname.fullmatch(el.get("id")) and len(el.get("id")) <= 1024


def test_english_labels(tmp_path):
    xlam.write_addins(tmp_path, xlam.default_buttons("en"))
    labels = [
        ET.fromstring(parts_of(tmp_path / f"gradsheet_{k}.xlam")[xlam.CUSTOM_UI])
        .find(f".//{{{CUI}}}button").get("label")
        for k in ("step", "run10", "next", "reset")
    ]
    assert labels == ["One step", "10 steps", "Next action", "Reset"]


def test_modules_call_the_addin_functions(written):
    calls = {}
    for path in written:
        if path.suffix != ".py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        (main,) = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
        assert main.name == "main" and not main.args.args
        src = ast.unparse(main)
        assert "import xlwings as xw" in src
        calls[path.stem] = src.splitlines()[-1].strip()
    assert calls == {
        "gradsheet_step": "one_step(xw.Book.caller())",
        "gradsheet_run10": "run_steps(xw.Book.caller(), steps=10)",
        "gradsheet_next": "next_action(xw.Book.caller())",
        "gradsheet_reset": "reset(xw.Book.caller())",
    }


def test_conf_is_inert_until_edited(written):
    """Each line is a quoted "KEY","VALUE" pair for VBA's Input #; every key starts
    with '#', so it can match no setting (and hide no user-level file)."""
    conf = written[-1]
    raw = conf.read_bytes()
    raw.decode("ascii")
    lines = raw.split(b"\r\n")
    assert lines[-1] == b""
    keys = []
    for line in lines[:-1]:
        m = re.fullmatch(rb'"([^"]*)","([^"]*)"', line)
        assert m, line
        keys.append(m.group(1).decode())
    assert all(k.startswith("#") for k in keys)
    assert {"# INTERPRETER_WIN", "# INTERPRETER_MAC", "# PYTHONPATH"} <= set(keys)


def test_existing_conf_is_kept(tmp_path):
    (tmp_path / "myaddin.conf").write_bytes(b'"INTERPRETER_WIN","C:\\py\\python.exe"\r\n')
    xlam.write_addins(tmp_path)
    assert (tmp_path / "myaddin.conf").read_bytes() == b'"INTERPRETER_WIN","C:\\py\\python.exe"\r\n'


def test_package_integrity(addins):
    for path in addins:
        with zipfile.ZipFile(path) as zf:
            assert zf.testzip() is None
        parts = parts_of(path)
        rels = ET.fromstring(parts["_rels/.rels"])
        assert any(r.get("Target") == xlam.CUSTOM_UI for r in rels)
        for r in rels:
            assert r.get("Target") in parts


def test_deterministic(tmp_path, addins):
    again = xlam.write_addins(tmp_path)
    for path in addins:
        assert (tmp_path / path.name).read_bytes() == path.read_bytes()
    assert [p.name for p in again][0] == "gradsheet_step.xlam"


def test_bad_button_keys_are_refused(tmp_path):
    with pytest.raises(ValueError):
        xlam.write_addins(tmp_path, [xlam.Button("two words", "x", "one_step")])
    with pytest.raises(ValueError):
        xlam.write_addins(tmp_path, [xlam.Button("a", "x", "one_step")] * 2)
