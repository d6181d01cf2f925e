"""Dependency audit for `make test` (and so CI): pip-audit over the installed, pinned packages.

Fails on any known vulnerability. When the advisory service cannot be reached (factories and our CI machines reach
only the package registries) pip-audit skips every package; this script then says so plainly instead of reporting
"no known vulnerabilities", and does not fail the build for a network it was never given.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile


def main() -> int:
    freeze = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"], check=True,
                            capture_output=True, text=True).stdout
    pinned = [line for line in freeze.splitlines() if "==" in line]
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as req:
        req.write("\n".join(pinned) + "\n")
        req.flush()
        run = subprocess.run([sys.executable, "-m", "pip_audit", "-r", req.name, "--no-deps", "--disable-pip",
                              "--progress-spinner", "off", "--format", "json"], capture_output=True, text=True,
                             timeout=600)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit produced no report (exit {run.returncode}):\n{run.stderr[-2000:]}")
        return 1
    deps = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if d.get("skip_reason")]
    for d in vulnerable:
        ids = ", ".join(v["id"] + (f" (fixed in {', '.join(v['fix_versions'])})" if v.get("fix_versions") else "")
                        for v in d["vulns"])
        print(f"VULNERABLE {d['name']} {d['version']}: {ids}")
    audited = len(deps) - len(skipped)
    if vulnerable:
        print(f"pip-audit: {len(vulnerable)} of {audited} audited packages have known vulnerabilities.")
        return 1
    if audited == 0:
        print(f"pip-audit: the advisory service was not reachable; none of {len(deps)} packages could be audited "
              "(run `make audit` on a machine with internet access).")
        return 0
    print(f"pip-audit: no known vulnerabilities in {audited} packages ({len(skipped)} not auditable).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
