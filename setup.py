# The customer's design card names a setup.py. pyproject.toml (flit) is the source of truth and is what
# pip and bench use; this shim only lets `python setup.py ...` tooling find the same package and version.
import re
from pathlib import Path

from setuptools import find_packages, setup

version = re.search(r'__version__ = "(.+?)"', Path("opportunity_crm/__init__.py").read_text()).group(1)

setup(name="opportunity_crm", version=version, packages=find_packages(), include_package_data=True)
