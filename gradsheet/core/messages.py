"""Every message the command line prints (errors, warnings, results), keyed, in Korean and English.

Raisers never format a sentence themselves: they name a key and its values,

    raise GradsheetError("data.not_a_number", file="a.csv", row=5, column="온도", value="abc")
    warnings.warn(Message("build.lr_lowered", lr=0.1))

and the text is chosen when it is printed, in the language in use: the workbook's own for
commands on a workbook (set by `use` as soon as its settings are read), `--lang` for the
commands that make one, Korean otherwise. A test walks the catalogue: every key has both
languages with the same {placeholders}, so no message can be English-only by accident.

The names of cells, columns, options and commands (W, B, Loss, lr, --lr, `gradsheet set`) stay
as they are in both languages.
"""

from __future__ import annotations

import contextvars

DEFAULT_LANG = "ko"
_lang = contextvars.ContextVar("gradsheet_lang", default=DEFAULT_LANG)


def use(lang: str | None) -> None:
    """Speak `lang` from now on in this context (unknown or None: leave it as it is)."""
    if lang in CATALOGUE:
        _lang.set(lang)


def current() -> str:
    return _lang.get()


def say(key: str, lang: str | None = None, **values) -> str:
    """The text of `key` in `lang` (default: the language in use), filled with `values`."""
    table = CATALOGUE.get(lang or current(), CATALOGUE[DEFAULT_LANG])
    return table[key].format(**values)


class Message:
    """A keyed message that renders in the language in use whenever it is turned into text
    (so a warning raised before the workbook's language is known still prints in it)."""

    def __init__(self, key: str, **values):
        self.key, self.values = key, values

    def __str__(self) -> str:
        return say(self.key, **self.values)

    def __repr__(self) -> str:
        return f"Message({self.key!r}, **{self.values!r})"


# One dict per language; keys are "<area>.<what>". Areas: cli, build, book (step/run/next/
# reset/set on a workbook), data (reading tables), preset, addin, classroom.
KO: dict[str, str] = {
    # --- cli ---
    # --- build ---
    # --- book ---
    # --- data ---
    # reading the file
    "data.not_found": "데이터 파일이 없습니다: {file}",
    "data.is_directory": "{file}: 데이터 파일이 아니라 폴더입니다",
    "data.cannot_read": "{file}: 파일을 읽을 수 없습니다({why})",
    "data.empty": "{where}: 파일이 비어 있습니다",
    "data.xls": "{where}: 예전 Excel 97-2003(.xls) 통합 문서입니다. .xlsx나 CSV로 저장해 주십시오",
    "data.not_zip": "{where}: Excel .xlsx 통합 문서가 아닙니다(zip 파일이 아닙니다)",
    "data.sheet_for_text": "{where}: 시트({sheet})는 .xlsx 통합 문서에서만 고를 수 있는데, 이 파일은 텍스트 표입니다",
    "data.binary": "{where}: 텍스트 표가 아닙니다: 이진 데이터가 있습니다({line}번째 줄의 문자 {code})",
    "data.csv_error": "{where}: {row}행: {why}",
    "data.encoding": "{where}: 텍스트 표가 아닙니다: UTF-8도 CP949/EUC-KR도 아닌 바이트입니다",
    "data.bad_xlsx": "{where}: zip 파일이지만 읽을 수 있는 Excel .xlsx 통합 문서가 아닙니다({why})",
    "data.no_sheets": "{where}: 통합 문서에 워크시트가 없습니다",
    "data.no_sheet": "{where}: {sheet} 시트가 없습니다. 있는 시트: {sheets}",
    "data.where_sheet": "{file}, {sheet} 시트",
    "data.damaged_xlsx": "{where}: 통합 문서가 손상되었습니다({why})",
    # the table's shape and headings
    "data.title_skipped": "{row}행({cell})은 머리글 위의 제목 줄로 보여 건너뛰었습니다",
    "data.units_skipped": "{row}행({cells})은 머리글 아래의 단위 줄로 보여 건너뛰었습니다",
    "data.index_skipped": "첫 열은 머리글 없이 행을 세는 번호({first} … {last})라서 행 번호로 보고 뺐습니다",
    "data.no_rows": "{where}: 머리글 행만 있고 데이터 행이 없습니다",
    "data.too_many_rows": "{where}: 데이터가 {count:,}행입니다. 통합 문서의 머리글 아래 Excel 시트에는 {most:,}행까지만 들어갑니다",
    "data.blank_row": "{where}: {row}행이 비어 있습니다(빈 행은 표의 끝에만 둘 수 있습니다)",
    "data.ragged": "{where}: {row}행의 칸은 {fields}개인데 머리글 행의 칸은 {width}개입니다",
    "data.empty_heading": "{where}: {column}번째 열에 값은 있지만 머리글이 비어 있습니다",
    "data.duplicate_heading": "{where}: 같은 머리글이 두 번 있습니다: {heading}({first}번째와 {second}번째 열)",
    "data.headings_case": "{where}: 머리글 {first_heading}, {heading}({first}번째와 {second}번째 열)은 대소문자만 다르며, Excel은 둘을 같은 이름으로 봅니다",
    "data.one_column_named": "{where}: 열이 하나({heading})뿐입니다. 입력 열이 하나 이상 있고 목표 열도 있어야 합니다",
    "data.one_column": "{where}: 열이 하나뿐입니다. 입력 열이 하나 이상 있고 목표 열도 있어야 합니다",
    "data.heading_cut": "{heading} 머리글은 {length:,}자라서 {most}자로 잘랐습니다",
    # cells to numbers
    "data.bad_cell": "{where}: {row}행 {column} 열: {why}",
    "data.missing": "값이 비어 있습니다",
    "data.not_a_number": "{cell} 값은 숫자가 아닙니다",
    "data.not_finite": "{cell} 값은 유한한 숫자가 아닙니다",
    "data.too_large": "{cell} 값이 너무 큽니다(절댓값이 {most:g}보다 크면 제곱 오차가 넘칩니다)",
    "data.bad_comma": "{cell} 값은 숫자가 아닙니다(쉼표는 45,000처럼 세 자리마다 쓰거나, 소수점이 없는 열에서 3,9처럼 소수점 대신 씁니다)",
    "data.commas_mixed": "{cell} 값은 뜻이 모호합니다: 이 열에는 소수점 쉼표({decimal})와 천 단위 쉼표({grouped})가 섞여 있습니다. 소수는 점으로 써 주십시오(3.9)",
    "data.unit_differs": "{cell} 값은 이 열의 단위({unit})와 다른 단위를 씁니다(한 열에는 한 단위만 쓸 수 있습니다)",
    "data.read": "{column} 열: {parts}",
    "data.read_thousands_one": "천 단위 쉼표를 빼고 숫자 {count:,}개를 읽었습니다(예: {cell} → {number})",
    "data.read_thousands": "천 단위 쉼표를 빼고 숫자 {count:,}개를 읽었습니다(예: {cell} → {number})",
    "data.read_decimal_comma_one": "쉼표를 소수점으로 쓴 숫자 {count:,}개를 읽었습니다(예: {cell} → {number})",
    "data.read_decimal_comma": "쉼표를 소수점으로 쓴 숫자 {count:,}개를 읽었습니다(예: {cell} → {number})",
    "data.read_unit_one": "단위({unit})를 떼고 숫자 {count:,}개를 읽었습니다(예: {cell} → {number})",
    "data.read_unit": "단위({unit})를 떼고 숫자 {count:,}개를 읽었습니다(예: {cell} → {number})",
    "data.read_percent_one": "퍼센트 값 {count:,}개를 Excel처럼 소수로 읽었습니다(예: {cell} → {number})",
    "data.read_percent": "퍼센트 값 {count:,}개를 Excel처럼 소수로 읽었습니다(예: {cell} → {number})",
    # choosing the columns
    "data.no_features": "입력 열이 없습니다: 표에 열이 두 개 이상 있어야 합니다",
    "data.target_is_feature": "{column} 열을 목표와 입력으로 함께 쓸 수 없습니다",
    "data.feature_twice": "{column} 열을 입력으로 두 번 골랐습니다",
    "data.too_many_features": "{name}: 입력 열이 {count}개입니다. 행마다 쓰는 수식에는 {most}개까지만 들어갑니다(Excel 수식은 8,192자까지). 입력을 줄여 주십시오",
    "data.column_at": "{column}({number}번째 열)",
    "data.or": " 또는 ",
    "data.no_column_close": "{column} 열이 없습니다. 혹시 {options}입니까?",
    "data.no_column": "{column} 열이 없습니다. 있는 열: {columns}",
    "data.no_column_many": "{column} 열이 없습니다. 있는 열: {columns} 등 모두 {count}개",
    "data.column_example": "{column}({row}행의 {cell})",
    "data.column_empty": "{column}(빈 열)",
    "data.left_out_one": "숫자가 없는 열을 입력에서 뺐습니다: {columns}",
    "data.left_out": "숫자가 없는 열 {count}개를 입력에서 뺐습니다: {columns}",
    "data.left_out_more": "숫자가 없는 열 {count}개를 입력에서 뺐습니다: {columns} 외 {more}개",
    "data.no_numbers": "{where}: 목표 {target} 말고는 숫자가 있는 열이 없습니다: {columns}",
    "data.row_numbers_count": "{column} 열은 행을 세는 번호({first}, {second}, … {last})로 보여 입력에서 뺐습니다. 입력으로 쓰려면 --features로 지정해 주십시오",
    "data.row_numbers_heading": "{column} 열은 머리글로 보아 행 번호나 ID이므로 입력에서 뺐습니다. 입력으로 쓰려면 --features로 지정해 주십시오",
    "data.row_numbers": "행 번호나 ID로 보이는 열 {count}개를 입력에서 뺐습니다: {columns}. 입력으로 쓰려면 --features로 지정해 주십시오",
    "data.only_row_numbers": "{where}: 숫자가 있는 입력 열({columns})이 행 번호나 ID로 보입니다. 이런 열은 기본으로 입력에 넣지 않으니, 그래도 쓰려면 --features {first}처럼 지정해 주십시오",
    "data.scales_differ": "입력의 크기가 {ratio}배나 다릅니다({big} 약 {big_size}, {small} 약 {small_size}). 학습률 하나가 두 입력 모두에 맞을 수는 없습니다. --scale standard를 쓰면 모든 입력이 평균 0, 표준편차 1이 됩니다",
    # a class target
    "data.classes_need_classifier": "--classes는 분류 목표의 클래스 순서를 정합니다. --model {model} 모델은 숫자를 학습합니다(--model logistic 또는 softmax를 쓰십시오)",
    "data.text_target": "{where}: 목표 {target}에는 숫자가 아니라 글자가 있습니다({row}행의 {cell}). --model {model} 모델은 숫자를 학습합니다(클래스를 배우려면 --model logistic 또는 softmax를 쓰거나 --model을 빼십시오)",
    "data.one_class": "{where}: 목표 {target}에는 클래스가 하나({label})뿐입니다. 분류에는 클래스가 2~{most}개 있어야 합니다",
    "data.too_many_labels": "{where}: 목표 {target}에는 서로 다른 이름이 {count:,}개 있습니다. 분류는 클래스를 {most}개까지만 다룹니다",
    "data.too_many_values": "{where}: 목표 {target}에는 서로 다른 숫자가 {count:,}개 있습니다. 분류는 클래스를 {most}개까지만 다룹니다",
    "data.logistic_two": "--model logistic은 클래스 2개를 학습하는데, 목표 {target}에는 {count}개({classes})가 있습니다. --model softmax를 쓰십시오",
    "data.classes_logistic": "목표 {target}에 클래스가 2개({classes}) 있어 로지스틱 회귀로 학습합니다(--model logistic). p는 {positive}일 확률입니다(순서는 --classes로 정합니다)",
    "data.classes_softmax": "목표 {target}에 클래스가 {count}개({classes}) 있어 소프트맥스 회귀로 학습합니다(--model softmax)",
    "data.classes_empty_name": "--classes {classes}에 빈 클래스 이름이 있습니다",
    "data.label_missing": "클래스 이름이 비어 있습니다",
    "data.not_zero_one": "{where}: {row}행 {column} 열: {cell} 값은 0도 1도 아닙니다(--model logistic은 숫자 목표를 클래스 0과 1로 읽습니다. 다른 숫자는 --model softmax로 쓰십시오)",
    "data.no_class_close": "--classes: 목표 {target}에 {name} 클래스가 없습니다. 혹시 {options}입니까?",
    "data.no_class": "--classes: 목표 {target}에 {name} 클래스가 없습니다. 있는 클래스: {classes}",
    "data.class_twice": "--classes에 {name} 클래스가 두 번 있습니다",
    "data.classes_left_out": "--classes에서 목표 {target}의 클래스가 빠졌습니다: {left}. 클래스 {count}개를 모두 한 번씩 써 주십시오",
    "data.labels_case": "목표 {target}: 대소문자만 다른 두 이름({first}, {second})을 서로 다른 클래스로 봅니다",
    # --- preset ---
    "preset.unknown": "{name} 프리셋이 없습니다. 있는 프리셋: {names}",
    "preset.not_found": "프리셋 파일이 없습니다: {path}",
    "preset.bad_toml": "{path}: 올바른 TOML 프리셋이 아닙니다({why})",
    "preset.unknown_key": "{path}: 알 수 없는 프리셋 키 {option}입니다. 쓸 수 있는 키: {keys}",
    "preset.wrong_type": "{path}: {option} 값의 형식이 맞지 않습니다({type})",
    # --- addin ---
    "addin.not_a_folder": "폴더가 아닙니다: {path}",
    "addin.cannot_write": "{path}에 추가 기능을 쓸 수 없습니다: {reason}",
    "addin.wrote": "작성함: {path}",
    "addin.removed": "삭제함: {path} (이 모듈은 이제 gradsheet와 함께 설치됩니다)",
    "addin.remake": "이 추가 기능은 xlwings {version}용으로 만들어졌습니다. xlwings를 업그레이드한 뒤에는 "
                    "`gradsheet addin`으로 추가 기능을 다시 만드세요.",
    "addin.description": "GradSheet 리본 단추 '{label}' (gradsheet {gradsheet}, xlwings {version} 추가 기능 "
                         "템플릿). xlwings를 업그레이드한 뒤에는 `gradsheet addin`으로 다시 만드세요.",
    # --- classroom ---
}

EN: dict[str, str] = {
    # --- cli ---
    # --- build ---
    # --- book ---
    # --- data ---
    # reading the file
    "data.not_found": "data file not found: {file}",
    "data.is_directory": "{file} is a directory, not a data file",
    "data.cannot_read": "cannot read {file}: {why}",
    "data.empty": "{where}: the file is empty",
    "data.xls": "{where}: an old Excel 97-2003 (.xls) workbook; save it as .xlsx or CSV",
    "data.not_zip": "{where}: not an Excel .xlsx workbook (the file is not a zip archive)",
    "data.sheet_for_text": "{where}: sheet {sheet} was asked for, but the file is a text table, not an .xlsx workbook",
    "data.binary": "{where}: not a text table: binary data (character {code} on line {line})",
    "data.csv_error": "{where}: row {row}: {why}",
    "data.encoding": "{where}: not a text table: the bytes are neither UTF-8 nor CP949/EUC-KR text",
    "data.bad_xlsx": "{where}: a zip archive but not a readable Excel .xlsx workbook ({why})",
    "data.no_sheets": "{where}: the workbook has no worksheets",
    "data.no_sheet": "{where}: no sheet {sheet}; the sheets are: {sheets}",
    "data.where_sheet": "{file}, sheet {sheet}",
    "data.damaged_xlsx": "{where}: the workbook is damaged ({why})",
    # the table's shape and headings
    "data.title_skipped": "row {row} ({cell}) looks like a title above the headings: skipped",
    "data.units_skipped": "row {row} ({cells}) looks like units under the headings: skipped",
    "data.index_skipped": "the first column has no heading and counts the rows ({first} … {last}): left out as row numbers",
    "data.no_rows": "{where}: a header row but no data rows",
    "data.too_many_rows": "{where}: {count:,} data rows; at most {most:,} fit on an Excel sheet below the workbook's header",
    "data.blank_row": "{where}: row {row} is empty (blank rows are allowed only at the end)",
    "data.ragged": "{where}: row {row} has {fields} fields, but the header row has {width}",
    "data.empty_heading": "{where}: column {column} has values but an empty heading",
    "data.duplicate_heading": "{where}: duplicate heading {heading} (columns {first} and {second})",
    "data.headings_case": "{where}: headings {first_heading} and {heading} (columns {first} and {second}) differ only in letter case, and Excel treats them as the same",
    "data.one_column_named": "{where}: only one column ({heading}); the table needs at least one feature column and a target column",
    "data.one_column": "{where}: only one column; the table needs at least one feature column and a target column",
    "data.heading_cut": "heading {heading} is {length:,} characters long; cut to {most}",
    # cells to numbers
    "data.bad_cell": "{where}: row {row}, column {column}: {why}",
    "data.missing": "the value is missing",
    "data.not_a_number": "{cell} is not a number",
    "data.not_finite": "{cell} is not a finite number",
    "data.too_large": "{cell} is too large (beyond ±{most:g} the squared errors overflow)",
    "data.bad_comma": "{cell} is not a number (a comma is read between groups of three digits, as in 45,000, or as the decimal comma of a column without decimal points, as in 3,9)",
    "data.commas_mixed": "{cell} is ambiguous: the column has both decimal commas ({decimal}) and thousands separators ({grouped}); write decimals with a point (3.9)",
    "data.unit_differs": "{cell} has another unit than the column's ({unit}); a column takes one unit",
    "data.read": "column {column}: {parts}",
    "data.read_thousands_one": "{count:,} number with thousands separators read as a plain number (e.g. {cell} → {number})",
    "data.read_thousands": "{count:,} numbers with thousands separators read as plain numbers (e.g. {cell} → {number})",
    "data.read_decimal_comma_one": "{count:,} decimal comma read as a decimal point (e.g. {cell} → {number})",
    "data.read_decimal_comma": "{count:,} decimal commas read as decimal points (e.g. {cell} → {number})",
    "data.read_unit_one": "{count:,} number read without its unit {unit} (e.g. {cell} → {number})",
    "data.read_unit": "{count:,} numbers read without their unit {unit} (e.g. {cell} → {number})",
    "data.read_percent_one": "{count:,} percentage read as a fraction, as Excel stores it (e.g. {cell} → {number})",
    "data.read_percent": "{count:,} percentages read as fractions, as Excel stores them (e.g. {cell} → {number})",
    # choosing the columns
    "data.no_features": "no feature columns: the table needs at least two columns",
    "data.target_is_feature": "column {column} cannot be both target and feature",
    "data.feature_twice": "feature column {column} is chosen twice",
    "data.too_many_features": "{name}: {count} feature columns; at most {most} fit in the per-row formula (Excel allows 8,192 characters); choose fewer features",
    "data.column_at": "{column} (column {number})",
    "data.or": " or ",
    "data.no_column_close": "no column {column}; did you mean {options}?",
    "data.no_column": "no column {column}; the columns are: {columns}",
    "data.no_column_many": "no column {column}; the columns are: {columns}, ... ({count} in all)",
    "data.column_example": "{column} ({cell} in row {row})",
    "data.column_empty": "{column} (empty)",
    "data.left_out_one": "left out a column without numbers: {columns}",
    "data.left_out": "left out {count} columns without numbers: {columns}",
    "data.left_out_more": "left out {count} columns without numbers: {columns} and {more} more",
    "data.no_numbers": "{where}: no column besides the target {target} holds numbers: {columns}",
    "data.row_numbers_count": "left out {column}: it counts the rows ({first}, {second}, … {last}) like row numbers; to use it as an input, name it with --features",
    "data.row_numbers_heading": "left out {column}: its heading names row numbers or ids; to use it as an input, name it with --features",
    "data.row_numbers": "left out {count} columns of row numbers or ids: {columns}; to use them as inputs, name them with --features",
    "data.only_row_numbers": "{where}: every input column with numbers ({columns}) looks like row numbers or ids, which are not inputs by default; to learn from it anyway, name it: --features {first}",
    "data.scales_differ": "inputs on scales {ratio}× apart ({big} about {big_size}, {small} about {small_size}): no one learning rate suits both; --scale standard would give every input mean 0 and standard deviation 1",
    # a class target
    "data.classes_need_classifier": "--classes orders the classes of a class target; --model {model} learns a number (use --model logistic or softmax)",
    "data.text_target": "{where}: target {target} holds text ({cell} in row {row}), not numbers; --model {model} learns a number (--model logistic or softmax, or no --model, learns its classes)",
    "data.one_class": "{where}: target {target} holds only 1 class ({label}); classification needs 2 to {most} classes",
    "data.too_many_labels": "{where}: target {target} holds {count:,} different labels; classification takes at most {most} classes",
    "data.too_many_values": "{where}: target {target} holds {count:,} different values; classification takes at most {most} classes",
    "data.logistic_two": "--model logistic learns 2 classes, but target {target} holds {count} ({classes}); use --model softmax",
    "data.classes_logistic": "target {target} holds 2 classes ({classes}): logistic regression (--model logistic), p is the probability of {positive} (--classes orders them)",
    "data.classes_softmax": "target {target} holds {count} classes ({classes}): softmax regression (--model softmax)",
    "data.classes_empty_name": "--classes {classes} has an empty class name",
    "data.label_missing": "the class label is missing",
    "data.not_zero_one": "{where}: row {row}, column {column}: {cell} is neither 0 nor 1 (--model logistic reads a numeric target as the classes 0 and 1; --model softmax takes other numbers)",
    "data.no_class_close": "--classes: no class {name} in target {target}; did you mean {options}?",
    "data.no_class": "--classes: no class {name} in target {target}; its classes are: {classes}",
    "data.class_twice": "--classes names class {name} twice",
    "data.classes_left_out": "--classes leaves out {left} of target {target}; name each of its {count} classes once",
    "data.labels_case": "target {target}: labels {first} and {second} differ only in letter case, so they are two classes",
    # --- preset ---
    "preset.unknown": "no preset {name}; the presets are: {names}",
    "preset.not_found": "preset not found: {path}",
    "preset.bad_toml": "{path}: not a valid TOML preset ({why})",
    "preset.unknown_key": "{path}: unknown preset key {option}; the keys are: {keys}",
    "preset.wrong_type": "{path}: {option} has the wrong type ({type})",
    # --- addin ---
    "addin.not_a_folder": "not a folder: {path}",
    "addin.cannot_write": "cannot write add-ins to {path}: {reason}",
    "addin.wrote": "wrote {path}",
    "addin.removed": "removed {path} (the module is now installed with gradsheet)",
    "addin.remake": "these add-ins are made for xlwings {version}: after upgrading xlwings, make them "
                    "again with `gradsheet addin`.",
    "addin.description": "GradSheet ribbon button '{label}', made by gradsheet {gradsheet} from the add-in "
                         "template of xlwings {version}. After upgrading xlwings, make it again with "
                         "`gradsheet addin`.",
    # --- classroom ---
}

CATALOGUE = {"ko": KO, "en": EN}
