"""Embed xlwings Lite code (main.py, requirements.txt) in an .xlsx written by XlsxWriter.

xlwings Lite keeps a workbook's Python inside the workbook, as properties of the
Office web-extension part that points at the Lite add-in in the Office store
(wa200008175). XlsxWriter cannot write web-extension parts, so we add them to the
finished zip. Every choice below copies what Excel itself writes (checked against
real Excel-saved Lite workbooks, see tests/golden/lite/NOTICE):

* parts: ``xl/webextensions/taskpanes.xml`` (+ its .rels) and ``webextension1.xml``,
  a package relationship from ``_rels/.rels`` and two ``[Content_Types].xml``
  overrides; one deliberate difference: the task pane is persisted visible, so the
  workbook opens with it (see ``TASKPANE_VISIBLE``);
* each property value is the JSON encoding of the text, with ``/`` written as
  ``\\/`` and non-ASCII characters kept literal (that is Office's settings
  serialiser, not Python's default), then XML-escaped into the attribute.

Python never runs here: Lite's own JavaScript reads the properties when the
workbook is opened in Excel. Nothing in this module needs xlwings or a licence.
"""
from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import tempfile
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from xml.dom import minidom
from xml.sax.saxutils import escape

__all__ = [
    "ADDIN_VERSION",
    "LITE_REQUIREMENTS",
    "LITE_STORE_ID",
    "PYODIDE_VERSION",
    "add_lite_parts",
    "decode_property",
    "encode_property",
    "read_lite_parts",
    "write_package",
]

# The xlwings Lite add-in's Office store (OMEX) asset id.
LITE_STORE_ID = "wa200008175"
# Values Lite itself stored in real Excel-saved Lite workbooks (Pyodide 0.27.5 with
# add-in build 1.0.0.0-18 is the pair seen most often). Lite's loader starts whatever
# Pyodide version it is handed (xlwings-server wasm.js, startPyodide), evidently the
# workbook's: an old but real version exists on the CDN, a made-up one would not.
PYODIDE_VERSION = "0.27.5"
ADDIN_VERSION = "1.0.0.0-18"
# The lines Lite itself keeps at the top of a workbook's requirements.txt, marked
# "# required": the newest set seen in workbooks saved with add-in 1.0.0.0-18 (see
# tests/golden/lite/NOTICE; older ones pin xlwings 0.33.11, python-dotenv 1.0.1), except
# xlwings' version. Those workbooks pin 0.33.15; the buttons need xw.BookAsync (xlwings
# 0.36.9, its changelog) to be sent no values up front (issue 12), and Lite's own docs
# (Dependencies: "for pure Python packages including xlwings, you can pin the version as
# usual") let a workbook pin it. 0.37.8 is the version the tests run the buttons with. A
# workbook's own packages follow them.
LITE_XLWINGS = "0.37.8"
LITE_REQUIREMENTS = (
    f"xlwings=={LITE_XLWINGS}  # required\n"
    "python-dotenv==1.1.1  # required\n"
    "pyodide-http  # required\n"
    "black  # required\n"
)

PKG_RELS = "_rels/.rels"
CONTENT_TYPES = "[Content_Types].xml"
WEBEXT_DIR = "xl/webextensions/"
TASKPANES = WEBEXT_DIR + "taskpanes.xml"
TASKPANES_RELS = WEBEXT_DIR + "_rels/taskpanes.xml.rels"
WEBEXTENSION = WEBEXT_DIR + "webextension1.xml"

NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_WE = "http://schemas.microsoft.com/office/webextensions/webextension/2010/11"
NS_WETP = "http://schemas.microsoft.com/office/webextensions/taskpanes/2010/11"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_TASKPANES = "http://schemas.microsoft.com/office/2011/relationships/webextensiontaskpanes"
REL_WEBEXTENSION = "http://schemas.microsoft.com/office/2011/relationships/webextension"
CT_TASKPANES = "application/vnd.ms-office.webextensiontaskpanes+xml"
CT_WEBEXTENSION = "application/vnd.ms-office.webextension+xml"

# Excel's declaration line; Excel ends it with CRLF.
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
# Zip entry time for every part: reproducible output instead of "now".
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# The names Lite itself reads; callers may not smuggle them in as extras.
RESERVED = ("main.py", "pyodideVersion", "addinVersion", "requirements.txt")
# Characters XML 1.0 cannot carry even escaped (JSON already escaped < U+0020).
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")

# The workbook opens with the xlwings Lite pane showing, so its sheet buttons work without
# hunting for the pane: the persisted pane is marked visible. Office's own documentation of this
# part ("Automatically open a task pane with a document", Use Open XML to tag the document):
# with visibility "1" the pane opens the first time the document is opened, the user is asked to
# trust the add-in (offered to install it if it is missing) and it opens with the file from then
# on; with "0", what Excel itself saved in the Lite workbooks behind tests/golden/lite, it does
# not. The other lever, the property Office.AutoShowTaskpaneWithDocument, is honoured only for
# an add-in whose manifest has a ShowTaskpane action with that TaskpaneId ([MS-OWEMXML]
# ShowTaskpane); nothing public shows xlwings Lite's store manifest declaring one, so it is not
# written. visibility is an xsd:boolean ([MS-OWEXML] taskpane); Excel writes 0/1.
TASKPANE_VISIBLE = True
_TASKPANES_XML = (
    XML_DECL + f'<wetp:taskpanes xmlns:wetp="{NS_WETP}">'
    f'<wetp:taskpane dockstate="right" visibility="{int(TASKPANE_VISIBLE)}" width="438" row="3">'
    f'<wetp:webextensionref xmlns:r="{NS_R}" r:id="rId1"/>'
    "</wetp:taskpane></wetp:taskpanes>"
)
_TASKPANES_RELS_XML = (
    XML_DECL + f'<Relationships xmlns="{NS_RELS}">'
    f'<Relationship Id="rId1" Type="{REL_WEBEXTENSION}" Target="webextension1.xml"/>'
    "</Relationships>"
)


def encode_property(value) -> str:
    """JSON text of ``value`` exactly as Office stores a web-extension setting.

    ``json.dumps`` never writes ``/`` inside an escape sequence, so replacing every
    ``/`` is safe; JSON.parse reads ``\\/`` back as ``/``.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("/", "\\/")
    if _NOT_XML.search(text):
        raise ValueError("text contains characters an XML file cannot hold")
    return text


def decode_property(text: str):
    return json.loads(text)


def _webextension_xml(properties: list[tuple[str, str]], guid: str) -> str:
    """The web-extension part; ``properties`` are (name, JSON text) pairs."""
    props = "".join(
        f'<we:property name={_attr(name)} value={_attr(value)}/>' for name, value in properties
    )
    return (
        XML_DECL + f'<we:webextension xmlns:we="{NS_WE}" id={_attr(guid)}>'
        f'<we:reference id="{LITE_STORE_ID}" version="1.0.0.0" store="en-US" storeType="OMEX"/>'
        f'<we:alternateReferences><we:reference id="{LITE_STORE_ID.upper()}" version="1.0.0.0" '
        f'store="{LITE_STORE_ID.upper()}" storeType="OMEX"/></we:alternateReferences>'
        f"<we:properties>{props}</we:properties><we:bindings/>"
        f'<we:snapshot xmlns:r="{NS_R}"/></we:webextension>'
    )


def _attr(value: str) -> str:
    # Same entities Excel uses: &amp; &lt; &gt; &quot;, apostrophes stay literal.
    return '"' + escape(value, {'"': "&quot;"}) + '"'


def _serialise(doc: minidom.Document) -> bytes:
    # minidom keeps the part's own prefixes and namespace declarations (ElementTree
    # would rename them); the declaration line is Excel's.
    return (XML_DECL + doc.documentElement.toxml()).encode("utf-8")


def _with_taskpanes_rel(rels_xml: bytes) -> bytes:
    doc = minidom.parseString(rels_xml)
    root = doc.documentElement
    for rel in root.getElementsByTagNameNS(NS_RELS, "Relationship"):
        if rel.getAttribute("Type") == REL_TASKPANES:  # re-run: replace, never duplicate
            root.removeChild(rel)
    used = [
        int(m.group(1))
        for rel in root.getElementsByTagNameNS(NS_RELS, "Relationship")
        if (m := re.fullmatch(r"rId(\d+)", rel.getAttribute("Id")))
    ]
    rel = doc.createElementNS(NS_RELS, "Relationship")
    for key, value in (("Id", f"rId{max(used, default=0) + 1}"), ("Type", REL_TASKPANES), ("Target", TASKPANES)):
        rel.setAttribute(key, value)
    root.appendChild(rel)
    return _serialise(doc)


def _with_webext_types(types_xml: bytes) -> bytes:
    doc = minidom.parseString(types_xml)
    root = doc.documentElement
    for over in root.getElementsByTagNameNS(NS_CT, "Override"):
        if over.getAttribute("PartName").startswith("/" + WEBEXT_DIR):
            root.removeChild(over)
    for part, ctype in ((TASKPANES, CT_TASKPANES), (WEBEXTENSION, CT_WEBEXTENSION)):
        over = doc.createElementNS(NS_CT, "Override")
        over.setAttribute("PartName", "/" + part)
        over.setAttribute("ContentType", ctype)
        root.appendChild(over)
    return _serialise(doc)


def write_package(out_path, parts) -> Path:
    """Write ``parts`` (zip name, data) in order as a deterministic zip, atomically.

    ``data`` is bytes, or a zero-argument callable opening a binary stream: big parts
    (a 100k-row sheet) are then copied through without ever being held in memory whole.
    Fixed entry times and attributes make equal input give equal bytes; the temporary
    file in the target folder plus ``os.replace`` means a crash never leaves half a
    file or harms the previous one.
    """
    out = Path(out_path)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            with zipfile.ZipFile(fh, "w") as zf:
                for name, data in parts:
                    info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.create_system = 0  # MS-DOS, as Excel writes; not host-dependent
                    info.external_attr = 0
                    if callable(data):
                        with data() as src, zf.open(info, "w") as dst:
                            shutil.copyfileobj(src, dst, 1 << 20)
                    else:
                        zf.writestr(info, data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, file_mode(out))  # mkstemp's 0600 would hide the file from others
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def file_mode(path: Path) -> int:
    """mkstemp makes 0600 files: a rewritten file keeps its own mode, a new one gets what any
    program would give it (0666 less the umask, 0644 under umask 022)."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def add_lite_parts(
    xlsx_path,
    main_py: str,
    requirements: str,
    out_path=None,
    *,
    pyodide_version: str = PYODIDE_VERSION,
    addin_version: str = ADDIN_VERSION,
    extra_properties: Mapping[str, object] | None = None,
    rewrite: Callable[[str], Callable[[bytes], bytes] | None] | None = None,
) -> Path:
    """Add the xlwings Lite parts to ``xlsx_path``; write to ``out_path`` (default: in place).

    Any web-extension parts already in the file are replaced, so running this again
    on its own output gives the same bytes. ``extra_properties`` carries further Lite
    settings (e.g. ones returned by :func:`read_lite_parts` of a workbook Lite has
    saved) and is written after the four standard ones, in the given order.
    ``rewrite(name)`` may return a function to change a part on the way (the writer
    names its button shapes so); every other part is streamed through unchanged.
    """
    for name, text in (("main_py", main_py), ("requirements", requirements)):
        if not isinstance(text, str):
            raise TypeError(f"{name} must be str, not {type(text).__name__}")
    extra = dict(extra_properties or {})
    clash = sorted(set(extra) & set(RESERVED))
    if clash:
        raise ValueError(f"extra_properties may not set {clash}; use the arguments")
    # Order as Lite writes them (main.py, pyodideVersion, addinVersion, requirements.txt).
    props = [
        ("main.py", encode_property(main_py)),
        ("pyodideVersion", encode_property(pyodide_version)),
        ("addinVersion", encode_property(addin_version)),
        ("requirements.txt", encode_property(requirements)),
    ] + [(str(k), encode_property(v)) for k, v in extra.items()]
    # Excel gives each add-in instance a random GUID; a content hash keeps output
    # reproducible while still differing between different embedded programs.
    guid = "{%s}" % str(uuid.uuid5(uuid.NAMESPACE_URL, "gradsheet-lite:" + json.dumps(props))).upper()

    src = Path(xlsx_path)
    with zipfile.ZipFile(src) as zf:
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
        for required in (CONTENT_TYPES, PKG_RELS):
            if required not in names:
                raise ValueError(f"{src} is not an OOXML package: {required} is missing")
        new_parts = []
        for name in names:
            if name.startswith(WEBEXT_DIR):
                continue
            change = rewrite(name) if rewrite else None
            if name == PKG_RELS:
                change = _with_taskpanes_rel
            elif name == CONTENT_TYPES:
                change = _with_webext_types
            if change:
                new_parts.append((name, change(zf.read(name))))
            else:
                new_parts.append((name, lambda name=name: zf.open(name)))
        new_parts += [
            (TASKPANES, _TASKPANES_XML.encode()),
            (TASKPANES_RELS, _TASKPANES_RELS_XML.encode()),
            (WEBEXTENSION, _webextension_xml(props, guid).encode()),
        ]
        return write_package(out_path if out_path is not None else src, new_parts)


def read_lite_parts(xlsx_path) -> dict:
    """All xlwings Lite properties of a workbook, decoded: ``{"main.py": ..., ...}``.

    Follows the package relationships (not fixed part names) so it also reads
    workbooks that Excel has re-saved; returns ``{}`` when there is no Lite add-in.
    """
    with zipfile.ZipFile(xlsx_path) as zf:
        names = set(zf.namelist())

        def rel_targets(rels_name: str, rel_type: str, base: str) -> list[str]:
            if rels_name not in names:
                return []
            root = ET.fromstring(zf.read(rels_name))
            return [
                posixpath.normpath(posixpath.join(base, r.get("Target", ""))).lstrip("/")
                for r in root.findall(f"{{{NS_RELS}}}Relationship")
                if r.get("Type") == rel_type and r.get("TargetMode") != "External"
            ]

        for panes in rel_targets(PKG_RELS, REL_TASKPANES, ""):
            folder, leaf = panes.rsplit("/", 1) if "/" in panes else ("", panes)
            pane_rels = f"{folder}/_rels/{leaf}.rels".lstrip("/")
            for ext in rel_targets(pane_rels, REL_WEBEXTENSION, folder):
                if ext not in names:
                    continue
                root = ET.fromstring(zf.read(ext))
                ref = root.find(f"{{{NS_WE}}}reference")
                if ref is None or ref.get("id", "").lower() != LITE_STORE_ID:
                    continue
                return {
                    p.get("name"): decode_property(p.get("value"))
                    for p in root.iterfind(f"{{{NS_WE}}}properties/{{{NS_WE}}}property")
                }
    return {}
