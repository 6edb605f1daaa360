"""Sum the JUnit XML files written by the nox test sessions into one closing line."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET  # our own pytest output
from pathlib import Path


def main(folder: str) -> int:
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    files = sorted(Path(folder).glob("*.xml"))
    for path in files:
        root = ET.parse(path).getroot()
        suites = [root] if root.tag == "testsuite" else list(root)
        for suite in suites:
            for key in totals:
                totals[key] += int(suite.get(key, 0))
            print(
                f"ci: {path.stem}: {suite.get('tests')} tests, {suite.get('failures')} failures,"
                f" {suite.get('errors')} errors, {suite.get('skipped')} skipped"
            )
    failed = totals["failures"] + totals["errors"]
    passed = totals["tests"] - failed - totals["skipped"]
    print(f"{passed} passed, {failed} failed, {totals['skipped']} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".ci-results"))
