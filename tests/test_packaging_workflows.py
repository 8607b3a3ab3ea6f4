"""The CI workflow (.github/workflows/build.yml) is valid YAML of the shape GitHub Actions reads,
builds on Linux, Windows and macOS, runs the self-test and uploads what it built."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "build.yml"


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def test_workflow_has_the_actions_structure() -> None:
    workflow = _workflow()
    assert isinstance(workflow["name"], str)
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as true
    assert {"push", "pull_request", "workflow_dispatch"} <= set(triggers)
    (job,) = workflow["jobs"].values()
    assert job["runs-on"] == "${{ matrix.os }}"
    for step in job["steps"]:
        assert set(step) <= {"name", "uses", "run", "with", "env", "if", "shell", "id"}, step
        assert ("uses" in step) != ("run" in step), step


def test_matrix_builds_every_operating_system() -> None:
    (job,) = _workflow()["jobs"].values()
    systems = [entry["os"].split("-")[0] for entry in job["strategy"]["matrix"]["include"]]
    assert {"ubuntu", "windows", "macos"} <= set(systems)


def test_each_os_builds_self_tests_and_uploads() -> None:
    (job,) = _workflow()["jobs"].values()
    runs = [(step.get("if", ""), step.get("run", "")) for step in job["steps"]]
    assert any("pyinstaller --noconfirm packaging/pyinstaller/ozx-viewer.spec" in run and not cond for cond, run in runs)
    for os_name, installer in (("Linux", "installers/linux/build_deb.sh"), ("Windows", "installers/windows/ozx-viewer.nsi"),
                               ("macOS", "installers/macos/build_dmg.sh")):
        assert any(os_name in cond and "--self-test" in run for cond, run in runs), os_name
        assert any(os_name in cond and installer in run for cond, run in runs), os_name
        assert (ROOT / installer).exists()
    uploads = [step for step in job["steps"] if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert {step["with"]["path"] for step in uploads} == {"installers-out/*", "dist/"}
    assert all(step["with"]["if-no-files-found"] == "error" for step in uploads)
