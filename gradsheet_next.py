"""The GradSheet ribbon button "다음 동작" / "Next action": the module gradsheet_next.xlam runs.

The add-in's VBA (xlwings' own template, unchanged) runs
RunPython "import gradsheet_next; gradsheet_next.main()" -- the module named after the
add-in file. It is installed with gradsheet, as a top-level module, so Python finds it
wherever Excel keeps the .xlam (Excel copies only the .xlam into its AddIns folder).
What the button does is defined once, in gradsheet.excel.xlam.
"""


def main():
    from gradsheet.excel.xlam import press

    return press("next")
