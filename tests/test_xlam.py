"""gradsheet.excel.xlam: ribbon add-ins made from xlwings' own Excel-made template.

The template is the reference: every part except customUI/customUI.xml and the Comments
of docProps/core.xml must be byte-identical (above all xl/vbaProject.bin, the VBA we may not
touch), and the ribbon XML must keep the template's callback while sharing one qualified
tab. What the VBA does is read from the VBA itself (excel/vba.py), checked against the
source xlwings ships beside the template. The modules the add-ins import are installed with
gradsheet, and must be found from any folder.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

import gradsheet
from gradsheet.core import messages
from gradsheet.excel import vba, xlam

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
    """Only the add-ins and the config: no module beside them (they are installed)."""
    assert [p.name for p in written] == [
        "gradsheet_step.xlam", "gradsheet_run10.xlam", "gradsheet_next.xlam", "gradsheet_reset.xlam",
        "myaddin.conf",
    ]
    assert not list(written[0].parent.glob("*.py"))


def template_vba() -> dict[str, str]:
    return vba.module_sources(vba.vba_project(TEMPLATE))


def without_attributes(text: str) -> list[str]:
    return [line for line in text.replace("\r\n", "\n").splitlines() if not line.startswith("Attribute ")]


def test_the_vba_reader_gives_xlwings_own_source():
    """The template's module 'xlwings', as read out of its vbaProject.bin, is line for line
    the VBA source xlwings ships beside it: the reader (CFB + [MS-OVBA] decompression) is right."""
    bas = (TEMPLATE.parent / "xlwings_custom_addin.bas").read_text(encoding="latin-1")
    assert without_attributes(template_vba()["xlwings"]) == without_attributes(bas)


def test_template_vba_runs_the_module_named_after_the_file():
    """What the whole design rests on, read from the template's own VBA: the ribbon callback
    imports the add-in's file stem and calls main(); config is 'myaddin'."""
    source = template_vba()
    callback = source["RibbonMyAddin"]
    assert "Sub RunMain(control As IRibbonControl)" in callback
    assert "mymodule = Left(ThisWorkbook.Name, (InStrRev(ThisWorkbook.Name, \".\"" in callback
    assert 'RunPython "import " & mymodule & ";" & mymodule & ".main()"' in callback
    assert 'Public Const PROJECT_NAME As String = "myaddin"' in source["xlwings"]
    assert 'Set sht = wb.Sheets(PROJECT_NAME & ".conf")' in source["xlwings"]
    assert template_button().get("onAction") == "RibbonMyAddin.RunMain"


def test_the_vba_is_made_for_the_installed_xlwings():
    """XLWINGS_VERSION names the DLL/AppleScript RunPython calls: the installed xlwings' own."""
    import xlwings
    assert xlam.made_with() == vba.xlwings_version(TEMPLATE) == xlwings.__version__
    assert f'Lib "xlwings64-{xlwings.__version__}.dll"' in template_vba()["xlwings"]


def test_every_other_part_is_the_templates(addins):
    ref = parts_of(TEMPLATE)
    for path in addins:
        got = parts_of(path)
        assert list(got) == list(ref), path.name  # same parts, same order
        for name, data in ref.items():
            if name not in (xlam.CUSTOM_UI, xlam.CORE_PROPS):
                assert got[name] == data, (path.name, name)


def core_tree(xml: bytes, blank_description=False):
    description = f"{{{xlam.NS_DC}}}description"

    def walk(el):
        text = "" if blank_description and el.tag == description else (el.text or "").strip()
        return el.tag, sorted(el.attrib.items()), text, [walk(c) for c in el]
    return walk(ET.fromstring(xml))


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_comments_record_the_xlwings_version(tmp_path, lang):
    """Each add-in's Comments (dc:description) name its button, the xlwings it is made for and
    how to remake it; every other document property is the template's."""
    messages.use("en" if lang == "ko" else "ko")  # the language in use does not matter
    try:
        xlam.write_addins(tmp_path, lang=lang)
    finally:
        messages.use(messages.DEFAULT_LANG)
    ref = parts_of(TEMPLATE)[xlam.CORE_PROPS]
    for button in xlam.default_buttons(lang):
        got = parts_of(tmp_path / f"{button.stem}.xlam")[xlam.CORE_PROPS]
        assert core_tree(got, blank_description=True) == core_tree(ref, blank_description=True)
        (description,) = ET.fromstring(got).iter(f"{{{xlam.NS_DC}}}description")
        assert description.text == messages.say("addin.description", lang, label=button.label,
                                                version=xlam.made_with(), gradsheet=gradsheet.__version__)
        assert xlam.made_with() in description.text and "gradsheet addin" in description.text


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
    xlam.write_addins(tmp_path, xlam.default_buttons("en"), lang="en")
    labels = [
        ET.fromstring(parts_of(tmp_path / f"gradsheet_{k}.xlam")[xlam.CUSTOM_UI])
        .find(f".//{{{CUI}}}button").get("label")
        for k in ("step", "run10", "next", "reset")
    ]
    assert labels == ["One step", "10 steps", "Next action", "Reset"]


# --- the modules the add-ins import, installed with gradsheet -----------------------------------
CALLS = {"step": ("one_step", {}), "run10": ("run_steps", {"steps": 10}),
         "next": ("next_action", {}), "reset": ("reset", {})}


@pytest.mark.parametrize("key", list(CALLS))
def test_each_module_presses_its_button(monkeypatch, key):
    """gradsheet_<key>.main(), what the add-in's RunPython calls, runs the button's function of
    gradsheet.core.addin on the calling workbook."""
    import importlib

    import xlwings as xw

    from gradsheet.core import addin
    book, calls = object(), []
    monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda: book))
    func, kwargs = CALLS[key]
    monkeypatch.setattr(addin, func, lambda *a, **kw: calls.append((a, kw)) or "ok")
    module = importlib.import_module(f"gradsheet_{key}")
    assert module.main() == "ok"
    assert calls == [((book,), kwargs)]


FIND_MODULES = """
import importlib, inspect, json, sys
out = {}
for stem in sys.argv[1:]:
    module = importlib.import_module(stem)
    out[stem] = [module.__file__, inspect.getsource(module.main)]
print(json.dumps(out))
"""


def test_the_modules_are_found_from_any_folder(tmp_path):
    """Excel copies only the .xlam into its AddIns folder: the modules must come with gradsheet.
    A fresh Python in an unrelated folder, that sees only where this suite's gradsheet is
    installed, imports each add-in's module from beside the gradsheet package (the installed
    package under CI), not from the folder the add-ins were written to."""
    import json
    out_dir, elsewhere = tmp_path / "addins", tmp_path / "elsewhere"
    elsewhere.mkdir()
    xlam.write_addins(out_dir)
    site = Path(gradsheet.__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(site)}
    stems = [b.stem for b in xlam.default_buttons()]
    run = subprocess.run([sys.executable, "-c", FIND_MODULES, *stems], capture_output=True, text=True,
                         cwd=elsewhere, env=env)
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    for button in xlam.default_buttons():
        path, source = found[button.stem]
        assert Path(path).resolve() == site / f"{button.stem}.py"
        assert f'press("{button.key}")' in source


def test_pyproject_installs_one_module_per_button():
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    if not pyproject.is_file():
        pytest.skip("not a checkout")
    tomllib = pytest.importorskip("tomllib")
    declared = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["setuptools"]["py-modules"]
    assert declared == [b.stem for b in xlam.default_buttons()]
    assert set(CALLS) == {b.key for b in xlam.default_buttons()}


def test_modules_an_older_gradsheet_wrote_are_removed(tmp_path):
    """They would be found first (RunPython puts the add-in's folder at the front of sys.path);
    a user's own file of the same name is left alone."""
    old = ('"""Entry point of gradsheet_step.xlam.\n\nThe add-in\'s VBA ... Generated by '
           'gradsheet.excel.xlam.\n"""\n\n\ndef main():\n    pass\n')
    (tmp_path / "gradsheet_step.py").write_text(old, encoding="utf-8")
    (tmp_path / "gradsheet_next.py").write_text("# mine\n", encoding="utf-8")
    assert xlam.old_modules(tmp_path) == [tmp_path / "gradsheet_step.py"]
    xlam.write_addins(tmp_path)
    assert not (tmp_path / "gradsheet_step.py").exists()
    assert (tmp_path / "gradsheet_next.py").read_text(encoding="utf-8") == "# mine\n"


def test_addin_messages_in_both_languages():
    keys = [k for k in messages.KO if k.startswith("addin.")]
    assert keys and keys == [k for k in messages.EN if k.startswith("addin.")]
    fields = re.compile(r"{(\w+)}")
    for key in keys:
        assert sorted(fields.findall(messages.KO[key])) == sorted(fields.findall(messages.EN[key])), key
        assert "\n" not in messages.KO[key] + messages.EN[key]  # one line each


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
    with pytest.raises(ValueError):  # no module gradsheet_a is installed for its .xlam to import
        xlam.write_addins(tmp_path, [xlam.Button("a", "x", "one_step")])
    with pytest.raises(ValueError):
        xlam.write_addins(tmp_path, [xlam.Button("step", "x", "one_step")] * 2)
    with pytest.raises(ValueError):  # gradsheet_step runs one_step, whatever the label says
        xlam.write_addins(tmp_path, [xlam.Button("step", "x", "reset")])
