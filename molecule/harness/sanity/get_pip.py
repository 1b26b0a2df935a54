"""Stand-in for ansible-test's pip bootstrap script, which it downloads from outside PyPI.

ansible-test runs it in each fresh sanity venv with pip's install arguments (the pinned pip and
its friends): pip comes from the venv's own ensurepip, the pinned packages from the package index.
"""

import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install", *args])
