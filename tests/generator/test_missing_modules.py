"""./vanity on a machine where `make` has not installed the Debian packages
yet: one line naming the module, its package and `make deps`, exit 2, and
no traceback."""

import subprocess

import pytest

from vanity_testlib import REPO

# Runs ./vanity with `mod` unimportable. libfdt is imported only when a
# board's device tree is read, so that case checks a spec with devices.
RUN_WITHOUT = ("import sys, runpy; sys.modules[{mod!r}] = None; "
               "sys.argv = ['vanity', 'check', 'examples/console/console.yaml', "
               "'--board', 'qemu-virt-aarch64']; "
               "runpy.run_path('vanity', run_name='__main__')")


@pytest.mark.parametrize("mod,package", [("jinja2", "python3-jinja2"), ("yaml", "python3-yaml"),
                                         ("libfdt", "python3-libfdt")])
def test_a_missing_module_is_one_line_naming_its_package(mod, package):
    r = subprocess.run(["/usr/bin/python3", "-c", RUN_WITHOUT.format(mod=mod)], cwd=REPO,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r
    assert r.stderr == (f"vanity: error: the Python module '{mod}' is missing: install the "
                        f"Debian package {package} (`make deps`, or `make run`, installs "
                        f"what Vanity needs)\n"), r
