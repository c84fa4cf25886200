"""The local I/O of ``mlflow.run``: where a project comes from and where it runs.

==============  ===============================================================
fetch.py        a project URI (directory, ZIP file, Git URI) brought to local disk
git.py          the ``git`` command line: clone at a version, commit, remote, branch
files.py        the MLproject file, a JSON backend config, the run's storage dir
process.py      starting an entry point's shell command in a child process
==============  ===============================================================

The rules (what a project declares, which options are supported, the run's tags) are
in ``sdk/projects``, which calls down here.
"""
