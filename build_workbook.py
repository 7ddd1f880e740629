#!/usr/bin/env python3
"""Same as `gradsheet build`, for people who just run a script:

    python3 build_workbook.py                 # lemonade.xlsx from the course's data
    python3 build_workbook.py my.csv --lang en
"""

from gradsheet.cli import main

if __name__ == "__main__":
    main(["build", *__import__("sys").argv[1:]], prog_name="build_workbook.py")
