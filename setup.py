"""Build hook: the wheel carries the bundled sample and the app icon as package data.

They live in `resources/` at the top of the repository (with the scripts that make them); the
build copies them to `viewer/resources/`, where `viewer.app.startup` looks first. Editable
installs keep reading them from `resources/`.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PACKAGE_RESOURCES = ["sample.ozx", "icons/ozx-viewer.svg"]


class BuildPyWithResources(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "viewer" / "resources"
        for name in PACKAGE_RESOURCES:
            destination = target / Path(name).name
            destination.parent.mkdir(parents=True, exist_ok=True)
            self.copy_file(str(Path("resources") / name), str(destination))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        extra = [str(Path(self.build_lib) / "viewer" / "resources" / Path(n).name) for n in PACKAGE_RESOURCES]
        return super().get_outputs(include_bytecode) + extra


setup(cmdclass={"build_py": BuildPyWithResources})
