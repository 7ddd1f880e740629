"""The GradSheet ribbon button "10 스텝" / "10 steps": the module gradsheet_run10.xlam runs.

The add-in's VBA (xlwings' own template, unchanged) runs
RunPython "import gradsheet_run10; gradsheet_run10.main()" -- the module named after the
add-in file. It is installed with gradsheet, as a top-level module, so Python finds it
wherever Excel keeps the .xlam (Excel copies only the .xlam into its AddIns folder).
What the button does is defined once, in gradsheet.excel.xlam.
"""


def main():
    from gradsheet.excel.xlam import press

    return press("run10")
