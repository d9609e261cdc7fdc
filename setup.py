"""Package mapping: ``domains/`` installs as ``sciddiff.domains`` and ``configs/`` as ``sciddiff.configs``."""

from setuptools import find_packages, setup

packages = find_packages(include=["sciddiff", "sciddiff.*"])
packages += ["sciddiff.domains"] + [f"sciddiff.domains.{p}" for p in find_packages("domains")]
packages += ["sciddiff.configs"]

setup(
    packages=packages,
    package_dir={"sciddiff": "sciddiff", "sciddiff.domains": "domains", "sciddiff.configs": "configs"},
    package_data={"sciddiff.configs": ["*.yaml", "**/*.yaml"]},
)
